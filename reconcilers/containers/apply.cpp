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
    if (!r.error.empty()) return r.name + ": " + r.error;
  return {};
}

namespace {

void say(const ApplyOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
  else spdlog::info("{}", line);
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

std::runtime_error crashed(const std::string& name, const docker::ContainerInfo& info) {
  const auto& st = info.state;
  return std::runtime_error("container " + name + " exited with code " + std::to_string(st.exit_code) +
                            (st.error.empty() ? "" : " (" + st.error + ")") +
                            (info.restart_count > 0 ? ", restarted " + std::to_string(info.restart_count) + " times" : "") +
                            "; see `docker logs " + name + "`");
}

// The container runs as the engine reports it after the start: one inspect
// right away and, with a grace (ApplyOptions::start_grace), one when it is
// over, so a process that dies at once (a bad flag, a taken port) is
// reported, not counted as converged.
net::awaitable<void> confirm_running(docker::Api& docker, std::string id, std::string name, runtime::Clock& clock,
                                     std::chrono::milliseconds grace) {
  const int looks = grace.count() > 0 ? 2 : 1;
  for (int look = 0; look < looks; ++look) {
    if (look > 0) co_await runtime::sleep_for(clock, grace);
    auto info = co_await docker.inspect_container(id);
    if (!info) throw std::runtime_error("container " + name + " disappeared while starting");
    const auto& st = info->state;
    if (st.status == "exited" || st.status == "dead" || st.status == "restarting" || info->restart_count > 0)
      throw crashed(name, *info);
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
                                      std::chrono::seconds timeout, runtime::Clock& clock) {
  auto deadline = clock.now() + timeout;
  std::chrono::milliseconds delay(20);
  std::optional<docker::ContainerInfo> first;
  for (;;) {
    auto info = co_await docker.inspect_container(id);
    if (!info) throw std::runtime_error("container " + spec.name + " disappeared while starting");
    if (!first) first = info;
    const auto& st = info->state;
    bool restarted = info->restart_count > first->restart_count || st.started_at != first->state.started_at;
    if (st.status == "exited" || st.status == "dead" || st.status == "restarting" || restarted)
      throw crashed(spec.name, *info);
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
                                      std::chrono::seconds timeout, runtime::Clock& clock) {
  std::vector<net::awaitable<void>> waits;
  for (auto& r : result.results) {
    if (!r.error.empty() || r.id.empty()) continue;
    auto it = std::find_if(desired.containers.begin(), desired.containers.end(),
                           [&](const ContainerSpec& s) { return r.name == "container " + s.name; });
    if (it == desired.containers.end()) continue;
    waits.push_back([](docker::Api& d, const ContainerSpec& spec, ComponentResult& res, std::chrono::seconds t,
                       runtime::Clock& c) -> net::awaitable<void> {
      try {
        co_await wait_until_ready(d, spec, res.id, t, c);
      } catch (const std::exception& e) {
        res.error = e.what();
      }
    }(docker, *it, r, timeout, clock));
  }
  co_await when_all(std::move(waits));
}

namespace {

net::awaitable<void> put_files(docker::Api& docker, const std::string& id, const std::vector<TarFile>& files) {
  if (files.empty()) co_return;
  auto tar = make_tar(files);
  co_await docker.put_archive(id, "/", tar);
}

std::string desired_stack(const ContainerSpec& spec) { return spec.create_body["Labels"].value(kStack, ""); }

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
      if (!owned_by(holder->labels, desired_stack(spec), spec.component)) co_return false;
      co_await docker.remove_container(holder->id, true);
      co_return true;
    }
    if (clock.now() >= deadline) co_return false;
    co_await runtime::sleep_for(clock, std::chrono::milliseconds(100));
  }
}

// Creates the container under `name`, delivers its files (and the marker
// saying its live files are what it loads), starts it.
net::awaitable<std::string> create_and_start(docker::Api& docker, const ContainerSpec& spec, std::string name,
                                             bool start, runtime::Clock& clock) {
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
    all.insert(all.end(), spec.live_files.begin(), spec.live_files.end());
    if (spec.loaded_marker) all.push_back(*spec.loaded_marker);
    co_await put_files(docker, id, all);
    if (start) co_await docker.start_container(id);
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

net::awaitable<void> converge_container(docker::Api& docker, const ContainerSpec& spec, const PlannedChange& change,
                                        const ApplyOptions& o, runtime::Clock& clock, ComponentResult& result) {
  switch (change.change) {
    case Change::Create: {
      co_await ensure_image(docker, spec.image, o);
      result.id = co_await create_and_start(docker, spec, spec.name, true, clock);
      result.acted = true;
      say(o, "created container " + spec.name + " (" + result.id.substr(0, 12) + ")");
      break;
    }
    case Change::Recreate: {
      // Pull and create before touching the old one: a failed pull or a
      // rejected create leaves the running container as it was.
      co_await ensure_image(docker, spec.image, o);
      std::string next = next_name(spec.name);
      if (auto stale = co_await docker.inspect_container(next); stale && stale->name == next) {
        if (!owned_by(stale->labels, desired_stack(spec), spec.component))
          throw std::runtime_error("container " + next + " exists and is not managed by stackd for this stack; remove it");
        co_await docker.remove_container(stale->id, true);
      }
      auto id = co_await create_and_start(docker, spec, next, false, clock);
      co_await docker.stop_container(change.existing_id);
      co_await docker.remove_container(change.existing_id, true);
      co_await docker.rename_container(id, spec.name);
      co_await docker.start_container(id);
      result.id = id;
      result.acted = true;
      say(o, "recreated container " + spec.name + " (" + change.reason + ")");
      break;
    }
    case Change::Start: {
      std::optional<docker::DockerError> refused;
      try {
        co_await docker.start_container(change.existing_id);
      } catch (const docker::DockerError& e) {
        // Only the engine's stale-task error is repaired by a fresh container;
        // anything else (a port taken, a paused container) is reported.
        if (std::string(e.what()).find("id already in use") == std::string::npos) throw;
        refused = e;
      }
      if (refused) {
        // The engine will not start it (seen after an engine restart:
        // "id already in use"). The spec is right, so a fresh container is.
        say(o, "container " + spec.name + " cannot be started (" + refused->what() + "); recreating it");
        co_await docker.remove_container(change.existing_id, true);
        result.id = co_await create_and_start(docker, spec, spec.name, true, clock);
        result.acted = true;
        say(o, "recreated container " + spec.name + " (could not be started)");
        break;
      }
      result.id = change.existing_id;
      result.acted = true;
      say(o, "started container " + spec.name + " (" + change.reason + ")");
      break;
    }
    case Change::Reload:
      // Live files that no other reconciler reloads (the Grafana password):
      // replaced; the component's API reconciler applies what they mean.
      // Files another reconciler reloads (validated, with rollback) are its
      // to bring up to date: overwriting them here would bypass that check.
      result.id = change.existing_id;
      if (!spec.live_files_reconciler.empty()) co_return;
      co_await put_files(docker, change.existing_id, spec.live_files);
      say(o, "updated " + spec.name + " (" + change.reason + ")");
      co_return;
    case Change::Unchanged:
      result.id = change.existing_id;
      co_return;
    case Change::Conflict:
      throw std::runtime_error(change.reason);
    case Change::Remove:
      co_return;
  }
  co_await confirm_running(docker, result.id, spec.name, clock, o.start_grace);
}

net::awaitable<void> remove_object(docker::Api& docker, const PlannedChange& c, const ApplyOptions& o) {
  if (c.kind == "container") {
    co_await docker.stop_container(c.existing_id);
    co_await docker.remove_container(c.existing_id, true);
  } else if (c.kind == "network") {
    co_await docker.remove_network(c.existing_id.empty() ? c.name : c.existing_id);
  } else if (c.kind == "volume") {
    co_await docker.remove_volume(c.name);
  }
  say(o, "removed " + c.kind + " " + c.name + " (" + c.reason + ")");
}

std::string describe(const std::exception& e) { return e.what(); }

// Removes every object the plan lists for removal: containers before the
// networks and volumes they use.
net::awaitable<void> remove_listed(docker::Api& docker, const Plan& plan, const ApplyOptions& o, ApplyResult& out) {
  for (const char* kind : {"container", "network", "volume"})
    for (const auto& c : plan.changes) {
      if (c.change != Change::Remove || c.kind != kind) continue;
      ComponentResult r{c.kind + " " + c.name, c.change, c.existing_id, ""};
      try {
        co_await remove_object(docker, c, o);
      } catch (const std::exception& e) {
        r.error = describe(e);
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
  auto owner = owner_labels(desired.stack);

  // 1. Networks and volumes the containers need.
  bool network_ok = true;
  std::map<std::string, std::string> blocked_components;  // component -> why
  for (const auto& c : plan.changes) {
    if (c.kind == "container" || c.change == Change::Remove) continue;
    ComponentResult r{c.kind + " " + c.name, c.change, c.existing_id, ""};
    try {
      if (c.change == Change::Create && c.kind == "network") {
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
      } else if (c.change == Change::Create && c.kind == "volume") {
        auto labels = owner;
        labels[kComponent] = c.component;
        co_await docker.create_volume(c.name, labels);
        say(o, "created volume " + c.name);
      } else if (c.change == Change::Conflict) {
        throw std::runtime_error(c.reason);
      }
    } catch (const std::exception& e) {
      r.error = describe(e);
      if (c.kind == "network") network_ok = false;
      if (c.kind == "volume") blocked_components.emplace(c.component, r.error);  // never mount what is not ours
    }
    out.results.push_back(r);
  }

  // 2. Containers, in parallel: they do not depend on each other to start.
  std::vector<ComponentResult> container_results;
  std::vector<std::pair<const ContainerSpec*, const PlannedChange*>> work;
  for (const auto& c : plan.changes) {
    if (c.kind != "container" || c.change == Change::Remove) continue;
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
    r.name = "container " + spec->name;
    r.change = change->change;
    if (!network_ok && change->change != Change::Unchanged) {
      r.error = "skipped: network " + desired.network.value_or("") + " is not available";
      continue;
    }
    if (blocked_components.count(spec->component) && change->change != Change::Unchanged) {
      r.error = "not created: " + blocked_components.at(spec->component);
      continue;
    }
    tasks.push_back([](docker::Api& d, const ContainerSpec* s, const PlannedChange* c, const ApplyOptions& opts,
                       runtime::Clock& cl, ComponentResult& res) -> net::awaitable<void> {
      try {
        co_await converge_container(d, *s, *c, opts, cl, res);
      } catch (const std::exception& e) {
        res.error = describe(e);
      }
    }(docker, spec, change, o, clock, r));
  }
  co_await when_all(std::move(tasks));
  out.results.insert(out.results.end(), container_results.begin(), container_results.end());
  if (o.wait) co_await wait_until_ready(docker, desired, out, o.ready_timeout, clock);

  // 3. Orphans, once nothing runs in what they leave behind.
  co_await remove_listed(docker, plan, o, out);
  co_return out;
}

net::awaitable<ApplyResult> apply_down(docker::Api& docker, const Plan& plan, const ApplyOptions& o) {
  ApplyResult out;
  co_await remove_listed(docker, plan, o, out);
  co_return out;
}

}  // namespace stackd::containers
