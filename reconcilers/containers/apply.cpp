#include "reconcilers/containers/apply.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <optional>

#include "clients/http/http_client.hpp"
#include "common/tar_archive.hpp"
#include "common/when_all.hpp"
#include "api/v1alpha1/labels.hpp"
#include "reconcilers/containers/pull_progress.hpp"

namespace stackd::containers {

using namespace labels;  // the ownership labels of docs/manifest.md, "What stackd owns"

namespace net = boost::asio;

bool ApplyResult::ok() const {
  return std::all_of(results.begin(), results.end(), [](const ComponentResult& r) { return r.error.empty(); });
}

std::string ApplyResult::first_error() const {
  for (const auto& r : results)
    if (!r.error.empty()) return std::string(runtime::to_string(r.object)) + " " + r.name + ": " + r.error;
  return {};
}

namespace {

void say(const ApplyOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
  else spdlog::info("{}", line);
}


net::awaitable<std::string> last_log_lines(docker::Api& docker, const std::string& id, int lines) {
  if (lines <= 0) co_return std::string();
  co_return co_await docker.logs(id, lines);
}

// `log` is the container's last lines, empty where they are not wanted
// (ApplyOptions::crash_log_lines).
DidNotRun crashed(const std::string& name, const docker::ContainerInfo& info, std::string log) {
  const auto& st = info.state;
  while (!log.empty() && log.back() == '\n') log.pop_back();
  return DidNotRun("container " + name + " exited with code " + std::to_string(st.exit_code) +
                   (st.error.empty() ? "" : " (" + st.error + ")") +
                   (info.restart_count > 0 ? ", restarted " + std::to_string(info.restart_count) + " times" : "") +
                   (log.empty() ? "; see `docker logs " + name + "`" : "; its last log lines:\n" + log));
}

// The container runs as the engine reports it after the start: one inspect
// right away and, with a grace (ApplyOptions::start_grace), one when it is
// over, so a process that dies at once (a bad flag, a taken port) is
// reported, not counted as converged. One that someone stopped or removed in
// the meantime did not fail (stackd never asks the engine to remove a
// container on exit): that is drift, repaired on its own event.
net::awaitable<void> confirm_running(docker::Api& docker, std::string id, std::string name, runtime::Clock& clock,
                                     std::chrono::milliseconds grace, int log_lines) {
  const int looks = grace.count() > 0 ? 2 : 1;
  for (int look = 0; look < looks; ++look) {
    if (look > 0) co_await runtime::sleep_for(clock, grace);
    auto info = co_await docker.inspect_container(id);
    if (!info || stopped_from_outside(*info)) co_return;
    const auto& st = info->state;
    if (st.status == "exited" || st.status == "dead" || st.status == "restarting" || info->restart_count > 0) {
      // Not inside the throw expression: GCC 12 frees a co_await's temporaries there twice.
      auto log = co_await last_log_lines(docker, info->id, log_lines);
      throw crashed(name, *info, std::move(log));
    }
  }
}

// One look at the readiness URL: true on a 2xx answer.
net::awaitable<bool> answers_ready(const std::string& url) {
  try {
    http::Client client(co_await net::this_coro::executor, http::Endpoint::parse(url));
    http::Request req{.method = http::Verb::get, .target = "", .timeout = std::chrono::seconds(2)};
    if (client.endpoint().base_path.empty()) req.target = "/";
    auto r = co_await client.send(req);
    co_return r.status >= 200 && r.status < 300;
  } catch (const std::exception&) {
    co_return false;  // not listening yet
  }
}

}  // namespace

net::awaitable<void> wait_until_ready(docker::Api& docker, const ContainerSpec& spec, const std::string& id,
                                      std::chrono::seconds timeout, runtime::Clock& clock, int log_lines) {
  auto deadline = clock.now() + timeout;
  std::chrono::milliseconds delay(20);
  std::optional<docker::ContainerInfo> first;
  for (;;) {
    auto info = co_await docker.inspect_container(id);
    if (!info) throw std::runtime_error("container " + spec.name + " disappeared while starting");
    if (!first) first = info;
    const auto& st = info->state;
    bool restarted = info->restart_count > first->restart_count || st.started_at != first->state.started_at;
    if (st.status == "exited" || st.status == "dead" || st.status == "restarting" || restarted) {
      auto log = co_await last_log_lines(docker, info->id, log_lines);
      throw crashed(spec.name, *info, std::move(log));
    }
    std::string waiting_for;
    if (!st.running) waiting_for = "running (state " + st.status + ")";
    else if (!st.health.empty() && st.health != "healthy") waiting_for = "healthy (health " + st.health + ")";
    else if (!spec.ready_url.empty() && !co_await answers_ready(spec.ready_url)) waiting_for = "ready at " + spec.ready_url;
    if (waiting_for.empty()) co_return;
    if (clock.now() >= deadline)
      throw std::runtime_error("container " + spec.name + " not " + waiting_for + " after " +
                               std::to_string(timeout.count()) + "s");
    co_await runtime::sleep_for(clock, delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(250));
  }
}

net::awaitable<void> wait_until_ready(docker::Api& docker, const DesiredState& desired, ApplyResult& result,
                                      std::chrono::seconds timeout, runtime::Clock& clock, int log_lines) {
  std::vector<net::awaitable<void>> waits;
  for (auto& r : result.results) {
    if (!r.error.empty() || r.id.empty()) continue;
    auto it = std::find_if(desired.containers.begin(), desired.containers.end(),
                           [&](const ContainerSpec& s) { return r.object == ObjectKind::Container && r.name == s.name; });
    if (it == desired.containers.end()) continue;
    waits.push_back([](docker::Api& d, const ContainerSpec& spec, ComponentResult& res, std::chrono::seconds t,
                       runtime::Clock& c, int lines) -> net::awaitable<void> {
      try {
        co_await wait_until_ready(d, spec, res.id, t, c, lines);
      } catch (const std::exception& e) {
        res.error = e.what();
      }
    }(docker, *it, r, timeout, clock, log_lines));
  }
  co_await when_all(std::move(waits));
}

namespace {

// The engine will not give the container the devices it requests. The
// container is complete (files delivered, spec right): it stays, and its
// State.Error tells the next plan (plan.cpp) why it is not running.
class DevicesRefused : public std::runtime_error {
 public:
  DevicesRefused(const ContainerSpec& spec, const std::string& refusal)
      : std::runtime_error("the engine cannot give container " + spec.name + " the devices it requests (" + refusal +
                           "): " + spec.devices_unavailable_fix),
        reason(spec.devices_unavailable_reason) {}
  std::string reason;
};

// Starts a created container; a refusal of its devices is DevicesRefused.
net::awaitable<void> start(docker::Api& docker, const ContainerSpec& spec, const std::string& id) {
  std::optional<std::string> refusal;
  try {
    co_await docker.start_container(id);
  } catch (const docker::DockerError& e) {
    if (spec.devices_unavailable_reason.empty() || !(refusal = docker::devices_refusal(e.what()))) throw;
  }
  if (refusal) throw DevicesRefused(spec, *refusal);
}

net::awaitable<void> put_files(docker::Api& docker, const std::string& id, const std::vector<TarFile>& files) {
  if (files.empty()) co_return;
  auto tar = make_tar(files);
  co_await docker.put_archive(id, "/", tar);
}

std::string desired_stack(const ContainerSpec& spec) { return spec.create_body["Labels"].value(kStack, ""); }
std::string component_name(const ContainerSpec& spec) { return std::string(manifest::to_string(spec.component)); }

// The name is taken although the plan saw nothing under it: a create of an
// apply that was killed mid-call, which the engine finished (or is still
// finishing) after the list. Such a container carries this component's
// complete label set but none of its files; it is removed so the create can
// be made again. Anything else holding the name is left alone.
net::awaitable<bool> removed_orphan_of_a_killed_create(docker::Api& docker, const ContainerSpec& spec,
                                                       std::string name, runtime::Clock& clock) {
  // The engine reserves the name before the container can be inspected.
  const auto deadline = clock.now() + std::chrono::seconds(3);
  for (;;) {
    if (auto holder = co_await docker.inspect_container(name); holder && holder->name == name) {
      if (!owned_by(holder->labels, desired_stack(spec), component_name(spec))) co_return false;
      co_await docker.remove_container(holder->id, true);
      co_return true;
    }
    if (clock.now() >= deadline) co_return false;
    co_await runtime::sleep_for(clock, std::chrono::milliseconds(100));
  }
}

// A container is created only over data volumes that exist: the engine
// would otherwise create a missing one itself, without stackd's labels, and
// every later pass would refuse it as foreign. The infrastructure key
// creates them; until it has, the component waits (and is retried).
net::awaitable<void> require_volumes(docker::Api& docker, const DesiredState& desired, const ContainerSpec& spec) {
  for (const auto& v : desired.volumes) {
    if (v.component != spec.component) continue;
    if (!co_await docker.inspect_volume(v.name))
      throw std::runtime_error("volume " + v.name + " does not exist yet: stackd creates it with its labels before " +
                               "anything mounts it (the infrastructure pass has not succeeded)");
  }
}

// Creates the container under `name`, delivers its files (its live files
// with the marker saying they are what it loads), starts it.
net::awaitable<std::string> create_and_start(docker::Api& docker, const DesiredState& desired,
                                             const ContainerSpec& spec, std::string name, bool start_it,
                                             runtime::Clock& clock) {
  co_await require_volumes(docker, desired, spec);
  std::string id;
  try {
    id = co_await docker.create_container(name, spec.create_body);
  } catch (const docker::DockerError& e) {
    if (!e.conflict()) throw;
  }
  if (id.empty()) {
    if (!co_await removed_orphan_of_a_killed_create(docker, spec, name, clock))
      throw std::runtime_error("container name " + name + " is taken by a container stackd does not manage; remove it");
    id = co_await docker.create_container(name, spec.create_body);
  }
  std::exception_ptr failed;
  try {
    auto all = spec.files;
    for (auto& f : desired.live_files_of(spec.component)) all.push_back(std::move(f));
    co_await put_files(docker, id, all);
    if (start_it) {
      try {
        co_await start(docker, spec, id);
      } catch (const docker::DockerError& e) {
        // The engine refuses to run it (a port taken, a missing mount).
        throw DidNotRun("container " + name + " could not be started: " + e.what());
      }
    }
  } catch (const DevicesRefused&) {
    throw;  // complete, only refused its devices: kept (see DevicesRefused)
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    // A container without its files has the right spec hash but would never
    // work; leave nothing half-made behind.
    co_await docker.remove_container(id, true);
    std::rethrow_exception(failed);
  }
  co_return id;
}

// The component's files as check_before_create judges them, before a fresh
// container of it is made.
net::awaitable<void> check_files(const DesiredState& desired, const ContainerSpec& spec, const ApplyOptions& o) {
  if (!o.check_before_create) co_return;
  std::function<void(const std::string&)> tell = [&o](const std::string& line) { say(o, line); };
  auto rejected = co_await o.check_before_create(desired, spec, tell);
  if (rejected) throw ConfigRejected(*rejected);
}

// Copies the data of volume `from` into the new volume `to` with a
// short-lived container of one of the stack's images that has a shell
// (`cp -a` as root keeps owners and modes): the engine copies, so the data
// never passes through stackd. The component's own image first, the stack's
// other images if it has no shell (a distroless image).
net::awaitable<void> copy_volume(docker::Api& docker, const DesiredState& desired, ComponentKind component,
                                 const std::string& from, const std::string& to, const ApplyOptions& o,
                                 runtime::Clock& clock) {
  std::vector<std::string> images;
  if (const auto* c = desired.container(component)) images.push_back(c->image);
  for (const auto& c : desired.containers)
    if (std::find(images.begin(), images.end(), c.image) == images.end()) images.push_back(c.image);
  auto labels = owner_labels(desired.stack);
  labels[kComponent] = std::string(manifest::to_string(component));
  if (!desired.origin.empty()) labels[kOrigin] = desired.origin;
  const std::string name = to + "-stackd-copy";
  std::string why = "the stack has no image";
  for (const auto& image : images) {
    co_await ensure_image(docker, image, o);
    if (auto stale = co_await docker.inspect_container(name); stale && stale->name == name) {
      if (!owned_by(stale->labels, desired.stack, labels[kComponent]))
        throw std::runtime_error("container " + name + " exists and is not managed by stackd for this stack; remove it");
      co_await docker.remove_container(stale->id, true);
    }
    nlohmann::json body = {
        {"Image", image},
        {"User", "0"},
        {"Entrypoint", {"/bin/sh", "-c"}},
        {"Cmd", {"cp -a /stackd-from/. /stackd-to/"}},
        {"Labels", labels},
        {"HostConfig",
         {{"NetworkMode", "none"},
          {"Mounts",
           {{{"Type", "volume"}, {"Source", from}, {"Target", "/stackd-from"}, {"ReadOnly", true}},
            {{"Type", "volume"}, {"Source", to}, {"Target", "/stackd-to"}, {"ReadOnly", false}}}}}}};
    const auto id = co_await docker.create_container(name, body);
    std::optional<int> exit_code;
    try {
      co_await docker.start_container(id);
      say(o, "copying the data of volume " + from + " into " + to + " (" + image + ")");
      const auto started = clock.now();
      for (;;) {
        auto info = co_await docker.inspect_container(id);
        if (!info) break;
        if (info->state.status == "exited" || info->state.status == "dead") {
          exit_code = info->state.exit_code;
          break;
        }
        if (clock.now() - started > std::chrono::hours(1)) break;
        co_await runtime::sleep_for(clock, std::chrono::milliseconds(200));
      }
    } catch (const docker::DockerError& e) {
      why = image + " cannot run a shell: " + e.what();
    }
    if (exit_code) {
      std::string log;
      if (*exit_code != 0) log = co_await docker.logs(id, 5);
      co_await docker.remove_container(id, true);
      if (*exit_code == 0) co_return;
      why = "cp in " + image + " exited with code " + std::to_string(*exit_code) + (log.empty() ? "" : ": " + log);
      continue;
    }
    co_await docker.remove_container(id, true);
  }
  throw std::runtime_error("copying the data of volume " + from + " into " + to + " failed (" + why + "); " + from +
                           " is kept: copy it yourself, or rename the stack back");
}

net::awaitable<void> converge_container(docker::Api& docker, const DesiredState& desired, const ContainerSpec& spec,
                                        const PlannedChange& change, const ApplyOptions& o, runtime::Clock& clock,
                                        ComponentResult& result) {
  if (!change.action) {
    result.id = change.existing_id;
    co_return;
  }
  switch (*change.action) {
    case Action::Create: {
      co_await ensure_image(docker, spec.image, o);
      co_await check_files(desired, spec, o);
      result.id = co_await create_and_start(docker, desired, spec, spec.name, true, clock);
      result.acted = true;
      say(o, "created container " + spec.name + " (" + result.id.substr(0, 12) + ")");
      break;
    }
    case Action::Recreate: {
      // Pull and create before touching the old one: a failed pull or a
      // rejected create leaves the running container as it was.
      co_await ensure_image(docker, spec.image, o);
      co_await check_files(desired, spec, o);
      const std::string next = next_name(spec.name), previous = previous_name(spec.name);
      // The old one may be aside already: a recreate was killed after it stepped aside.
      bool old_aside = false;
      for (const auto& stale_name : {next, previous})
        if (auto stale = co_await docker.inspect_container(stale_name); stale && stale->name == stale_name) {
          if (stale->id == change.existing_id) {
            old_aside = true;
            continue;
          }
          if (!owned_by(stale->labels, desired_stack(spec), component_name(spec)))
            throw std::runtime_error("container " + stale_name + " exists and is not managed by stackd for this stack; remove it");
          co_await docker.remove_container(stale->id, true);
        }
      auto id = co_await create_and_start(docker, desired, spec, next, false, clock);
      // The old one steps aside, stopped, until the new one runs: a new one
      // that does not start or exits at once is replaced by it again.
      co_await docker.stop_container(change.existing_id);
      if (!old_aside) co_await docker.rename_container(change.existing_id, previous);
      co_await docker.rename_container(id, spec.name);
      std::optional<std::string> failed;
      std::optional<DevicesRefused> refused;
      try {
        co_await start(docker, spec, id);
        co_await confirm_running(docker, id, spec.name, clock, std::max(o.start_grace, o.recreate_grace), o.crash_log_lines);
      } catch (const DevicesRefused& e) {
        refused = e;
      } catch (const std::exception& e) {
        failed = e.what();
      }
      if (refused) {
        // Kept, as a created one is (see DevicesRefused); the old one asked
        // the same engine for the same devices and cannot run either.
        co_await docker.remove_container(change.existing_id, true);
        result.id = id;
        result.acted = true;
        throw *refused;
      }
      if (failed) {
        std::string log;
        try {
          log = co_await docker.logs(id, 10);
        } catch (const std::exception&) {
        }
        while (!log.empty() && log.back() == '\n') log.pop_back();
        co_await docker.remove_container(id, true);
        co_await docker.rename_container(change.existing_id, spec.name);
        co_await docker.start_container(change.existing_id);
        result.id = change.existing_id;
        say(o, "recreating container " + spec.name + " failed; the previous container runs again");
        throw RecreateRolledBack("recreating " + spec.name + " (" + change.reason + ") failed: " + *failed +
                                 (log.empty() ? "" : "; its last log lines:\n" + log) +
                                 "\nthe previous container runs again; fix the manifest or what stops the new one");
      }
      co_await docker.remove_container(change.existing_id, true);
      result.id = id;
      result.acted = true;
      say(o, "recreated container " + spec.name + " (" + change.reason + ")");
      break;
    }
    case Action::Start: {
      std::optional<docker::DockerError> refused;
      try {
        co_await start(docker, spec, change.existing_id);
      } catch (const docker::DockerError& e) {
        // Only the engine's stale-task error is repaired by a fresh container;
        // anything else (a port taken, a paused container) is reported.
        if (std::string(e.what()).find("id already in use") == std::string::npos)
          throw DidNotRun("container " + spec.name + " could not be started: " + e.what());
        refused = e;
      }
      if (refused) {
        // The engine will not start it (seen after an engine restart:
        // "id already in use"). The spec is right, so a fresh container is.
        say(o, "container " + spec.name + " cannot be started (" + refused->what() + "); recreating it");
        co_await docker.remove_container(change.existing_id, true);
        result.id = co_await create_and_start(docker, desired, spec, spec.name, true, clock);
        result.acted = true;
        say(o, "recreated container " + spec.name + " (could not be started)");
        break;
      }
      result.id = change.existing_id;
      result.acted = true;
      say(o, "started container " + spec.name + " (" + change.reason + ")");
      break;
    }
    case Action::Conflict:
      throw std::runtime_error(change.reason);
    default:  // Delete is executed by remove_listed; nothing else is planned for a container
      co_return;
  }
  co_await confirm_running(docker, result.id, spec.name, clock, o.start_grace, o.crash_log_lines);
}

net::awaitable<void> remove_object(docker::Api& docker, const PlannedChange& c, const ApplyOptions& o) {
  switch (c.object) {
    case ObjectKind::Container:
      co_await docker.stop_container(c.existing_id);
      co_await docker.remove_container(c.existing_id, true);
      break;
    case ObjectKind::Network:
      co_await docker.remove_network(c.existing_id.empty() ? c.name : c.existing_id);
      break;
    case ObjectKind::Volume:
      co_await docker.remove_volume(c.name);
      break;
    default:
      co_return;
  }
  say(o, "removed " + std::string(runtime::to_string(c.object)) + " " + c.name + " (" + c.reason + ")");
}

// Removes every object the plan lists for removal: containers before the
// networks and volumes they use.
net::awaitable<void> remove_listed(docker::Api& docker, const Plan& plan, const ApplyOptions& o, ApplyResult& out) {
  for (auto object : {ObjectKind::Container, ObjectKind::Network, ObjectKind::Volume})
    for (const auto& c : plan.changes) {
      if (c.action != Action::Delete || c.object != object) continue;
      ComponentResult r{c.object, c.name, c.action, c.existing_id, ""};
      try {
        co_await remove_object(docker, c, o);
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      out.results.push_back(r);
    }
}

}  // namespace

net::awaitable<ApplyResult> apply_plan(docker::Api& docker, const DesiredState& desired, const Plan& plan,
                                       const ApplyOptions& o) {
  // The one clock of this apply: the caller's, else the system's.
  std::optional<runtime::SystemClock> own;
  runtime::Clock& clock = o.clock ? *o.clock : own.emplace(co_await net::this_coro::executor);
  ApplyResult out;
  auto owner = owner_labels(desired.stack);  // of what this apply creates
  if (!desired.origin.empty()) owner[kOrigin] = desired.origin;

  // 1. Networks and volumes the containers need.
  bool network_ok = true;
  std::map<ComponentKind, std::string> blocked_components;  // why each may not be (re)created
  for (const auto& c : plan.changes) {
    if (c.object == ObjectKind::Container || c.action == Action::Delete || c.action == Action::Keep) continue;
    ComponentResult r{c.object, c.name, c.action, c.existing_id, ""};
    try {
      if (c.action == Action::Create && c.object == ObjectKind::Network) {
        std::optional<docker::DockerError> conflict;
        try {
          co_await docker.create_network(c.name, owner);
          say(o, "created network " + c.name);
        } catch (const docker::DockerError& e) {
          if (!e.conflict()) throw;
          conflict = e;
        }
        if (conflict) {
          // Another pass created it in between: fine if it is ours.
          auto now = co_await docker.inspect_network(c.name);
          if (!now || now->labels[kStack] != desired.stack || now->labels[kManagedBy] != kManagedByValue) throw *conflict;
        }
      } else if (c.action == Action::Create && c.object == ObjectKind::Volume) {
        auto labels = owner;
        if (c.component) labels[kComponent] = std::string(manifest::to_string(*c.component));
        co_await docker.create_volume(c.name, labels);
        say(o, "created volume " + c.name);
        if (!c.copy_from.empty() && c.component) {
          std::optional<std::string> failed;
          try {
            co_await copy_volume(docker, desired, *c.component, c.copy_from, c.name, o, clock);
          } catch (const std::exception& e) {
            failed = e.what();
          }
          // Never start the component on an empty volume its data did not
          // reach: the next pass copies again.
          if (failed) {
            co_await docker.remove_volume(c.name);
            throw std::runtime_error(*failed);
          }
        }
      } else if (c.action == Action::Conflict) {
        throw std::runtime_error(c.reason);
      }
    } catch (const std::exception& e) {
      r.error = e.what();
      if (c.object == ObjectKind::Network) network_ok = false;
      if (c.object == ObjectKind::Volume && c.component)
        blocked_components.emplace(*c.component, r.error);  // never mount what is not ours
    }
    out.results.push_back(r);
  }

  // 2. Containers, in parallel: they do not depend on each other to start.
  std::vector<ComponentResult> container_results;
  std::vector<std::pair<const ContainerSpec*, const PlannedChange*>> work;
  for (const auto& c : plan.changes) {
    if (c.object != ObjectKind::Container || c.action == Action::Delete) continue;
    auto it = std::find_if(desired.containers.begin(), desired.containers.end(),
                           [&](const ContainerSpec& s) { return s.name == c.name; });
    if (it == desired.containers.end()) continue;
    work.emplace_back(&*it, &c);
  }
  container_results.resize(work.size());
  std::vector<net::awaitable<void>> tasks;
  for (std::size_t i = 0; i < work.size(); ++i) {
    auto [spec, change] = work[i];
    auto& r = container_results[i];
    r.object = ObjectKind::Container;
    r.name = spec->name;
    r.action = change->action;
    if (!network_ok && change->action) {
      r.error = "skipped: network " + desired.network.value_or("") + " is not available";
      continue;
    }
    if (blocked_components.count(spec->component) && change->action) {
      r.error = "not created: " + blocked_components.at(spec->component);
      continue;
    }
    tasks.push_back([](docker::Api& d, const DesiredState& ds, const ContainerSpec* s, const PlannedChange* c,
                       const ApplyOptions& opts, runtime::Clock& cl, ComponentResult& res) -> net::awaitable<void> {
      try {
        co_await converge_container(d, ds, *s, *c, opts, cl, res);
      } catch (const ConfigRejected& e) {
        res.error = e.what();
        res.config_rejected = true;
      } catch (const DevicesRefused& e) {
        res.error = e.what();
        res.reason = e.reason;
      } catch (const RecreateRolledBack& e) {
        res.error = e.what();
        res.did_not_run = true;
        res.rolled_back = true;
      } catch (const DidNotRun& e) {
        res.error = e.what();
        res.did_not_run = true;
      } catch (const std::exception& e) {
        res.error = e.what();
      }
    }(docker, desired, spec, change, o, clock, r));
  }
  co_await when_all(std::move(tasks));
  out.results.insert(out.results.end(), container_results.begin(), container_results.end());
  if (o.wait) co_await wait_until_ready(docker, desired, out, o.ready_timeout, clock, o.crash_log_lines);

  // 3. What the plan removes, once nothing runs in what it leaves behind.
  co_await remove_listed(docker, plan, o, out);
  co_return out;
}

bool stopped_from_outside(const docker::ContainerInfo& info) {
  if (info.state.status != "exited" || info.restart_count > 0) return false;
  const auto pointer = nlohmann::json::json_pointer("/HostConfig/RestartPolicy/Name");
  if (!info.raw.contains(pointer) || !info.raw.at(pointer).is_string()) return false;
  const auto& policy = info.raw.at(pointer).get_ref<const std::string&>();
  return policy == "always" || policy == "unless-stopped";
}

std::optional<std::string> not_running(const docker::ContainerInfo& info, bool fresh) {
  const auto& st = info.state;
  if (st.status == "running" && fresh && info.restart_count > 0)
    return "container " + info.name + " exited with code " + std::to_string(st.exit_code) + " after its start and was " +
           "restarted " + std::to_string(info.restart_count) + " times";
  if (st.status == "running") return std::nullopt;  // up now; earlier restarts are its history
  std::string why = st.status == "restarting" ? "is restarting (exited with code " + std::to_string(st.exit_code) + ")"
                    : st.status == "exited"   ? "exited with code " + std::to_string(st.exit_code)
                                              : "is " + st.status;
  if (!st.error.empty()) why += " (" + st.error + ")";
  if (info.restart_count > 0) why += ", restarted " + std::to_string(info.restart_count) + " times";
  return "container " + info.name + " " + why;
}

net::awaitable<std::vector<std::string>> containers_not_running(docker::Api& docker, const DesiredState& desired,
                                                                int log_lines, std::set<std::string> fresh) {
  std::vector<std::optional<std::string>> found(desired.containers.size());
  std::vector<net::awaitable<void>> looks;
  for (std::size_t i = 0; i < desired.containers.size(); ++i)
    looks.push_back([](docker::Api& d, std::string name, int lines, bool is_fresh,
                       std::optional<std::string>& out) -> net::awaitable<void> {
      auto info = co_await d.inspect_container(name);
      if (!info) co_return;  // never created: its key's error says why
      auto why = not_running(*info, is_fresh);
      if (!why) co_return;
      auto log = co_await d.logs(info->id, lines);
      while (!log.empty() && log.back() == '\n') log.pop_back();
      out = *why + (log.empty() ? "" : "; its last log lines:\n" + log);
    }(docker, desired.containers[i].name, log_lines, fresh.count(desired.containers[i].name) > 0, found[i]));
  co_await when_all(std::move(looks));
  std::vector<std::string> out;
  for (auto& f : found)
    if (f) out.push_back(std::move(*f));
  co_return out;
}

std::vector<runtime::Change> applied_changes(const Plan& plan, const ApplyResult& result) {
  std::vector<runtime::Change> out;
  for (auto& c : plan.to_changes()) {
    if (c.action == Action::Conflict) continue;
    if (c.action == Action::Keep) {  // nothing to do but leave it: done
      out.push_back(std::move(c));
      continue;
    }
    auto done = std::find_if(result.results.begin(), result.results.end(), [&](const ComponentResult& r) {
      return r.object == c.object && r.name == c.name && r.error.empty();
    });
    if (done != result.results.end()) out.push_back(std::move(c));
  }
  return out;
}

net::awaitable<ApplyResult> apply_down(docker::Api& docker, const Plan& plan, const ApplyOptions& o) {
  ApplyResult out;
  co_await remove_listed(docker, plan, o, out);
  co_return out;
}

net::awaitable<void> ensure_image(docker::Api& docker, const std::string& image, const ApplyOptions& o) {
  if (co_await docker.image_exists(image)) co_return;
  auto view = pull_progress_view([&o](const std::string& line) { say(o, line); });
  view->begin(image);
  bool ok = false;
  try {
    co_await docker.pull_image(image, [&](const docker::PullProgress& p) { view->update(image, p); });
    ok = true;
  } catch (...) {
    view->end(image, false);
    throw;
  }
  view->end(image, ok);
}

}  // namespace stackd::containers
