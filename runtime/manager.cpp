#include "runtime/manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/when_all.hpp"
#include "runtime/event_watcher.hpp"
#include "runtime/file_watcher.hpp"
#include "runtime/heartbeat.hpp"
#include "runtime/http_endpoints.hpp"
#include "runtime/signals.hpp"
#include "runtime/status.hpp"
#include "runtime/work_queue.hpp"
#include "runtime/daemon_metrics.hpp"
#include "controller/manager/render_context.hpp"
#include "controller/manager/stack_converger.hpp"
#include "api/v1alpha1/loader.hpp"
#include "api/v1alpha1/labels.hpp"

namespace stackd::manager {

namespace {
constexpr const char* kManifestKey = "manifest";
constexpr const char* kStackKey = "stack";
constexpr const char* kGrafanaApiKey = "grafana-api";
constexpr auto kStopGrace = std::chrono::seconds(5);

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen must be address:port, got '" + listen + "'");
  auto address = listen.substr(0, colon);
  if (address.size() > 1 && address.front() == '[') address = address.substr(1, address.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 1 || port > 65535) throw std::invalid_argument("--listen: invalid port in '" + listen + "'");
  return {address, static_cast<std::uint16_t>(port)};
}

double unix_now(runtime::Clock& clock) {
  return std::chrono::duration<double>(clock.system_now().time_since_epoch()).count();
}
}  // namespace

struct Manager::Impl {
  net::any_io_executor executor;
  docker::Api& docker;
  runtime::Clock& clock;
  runtime::Random& random;
  ManagerOptions options;

  runtime::WorkQueue queue;
  StackConverger converger;
  DaemonMetrics metrics;
  runtime::StackStatus status;
  runtime::Heartbeat heartbeat;

  // The last good manifest and what it renders to: what is enforced. Shared
  // pointers because a reconcile in flight keeps the revision it started
  // with while a new one replaces these.
  std::shared_ptr<const manifest::Manifest> manifest;
  std::shared_ptr<const containers::DesiredState> desired;
  std::vector<std::string> secrets_seen;  // every password used, redacted from /status
  std::string grafana_password;
  std::string manifest_error;                        // empty when the file on disk is valid
  std::map<std::string, std::string> component_error;  // key -> last error
  std::map<std::string, std::string> converged_revision;  // key -> revision of its last success
  bool first_full_pass_done = false;  // every key converged the current revision once
  bool stopping = false;

  std::unique_ptr<runtime::FileWatcher> files;
  std::unique_ptr<runtime::EventWatcher> events;
  std::unique_ptr<runtime::ResyncTimer> resync;
  std::unique_ptr<runtime::HttpEndpoints> http;
  std::unique_ptr<runtime::SignalHandler> signals;
  runtime::Timer grace_timer;
  net::cancellation_signal cancel_events;  // ends the event stream on stop

  Impl(net::any_io_executor ex, docker::Api& d, runtime::Clock& c, runtime::Random& r, ManagerOptions o)
      : executor(ex), docker(d), clock(c), random(r), options(std::move(o)), queue(ex, c, r),
        converger(ex, d, options.state_dir), heartbeat(c) {}

  std::vector<std::string> component_keys() const {
    std::vector<std::string> keys;
    if (desired)
      for (const auto& c : desired->containers) keys.push_back(c.component);
    return keys;
  }

  void enqueue_all() {
    queue.add(kStackKey);
    for (const auto& k : component_keys()) queue.add(k);
    if (manifest && manifest->grafana.enabled) queue.add(kGrafanaApiKey);
  }

  void watch_files() {
    std::vector<std::filesystem::path> paths{options.manifest_path};
    if (manifest)
      for (const auto* f : manifest->referenced_files()) paths.emplace_back(f->path);
    files->set_files(paths);
  }

  // ---- reconcilers per key ------------------------------------------------

  bool reconcile_manifest() {
    manifest::LoadOptions lo;
    lo.allow_empty = options.allow_empty;
    try {
      auto m = manifest::load(options.manifest_path, lo);
      auto ctx = render_context(m, options.state_dir);
      auto d = containers::render_desired_state(m, ctx);  // may reject extra scrape configs
      manifest_error.clear();
      metrics.manifest_revision(m.revision, true);
      if (manifest && manifest->revision == m.revision) return true;
      spdlog::info("manifest {}: revision {} is now desired{}", options.manifest_path, m.revision.substr(0, 12),
                   manifest ? " (was " + manifest->revision.substr(0, 12) + ")" : "");
      manifest = std::make_shared<const manifest::Manifest>(std::move(m));
      desired = std::make_shared<const containers::DesiredState>(std::move(d));
      grafana_password = ctx.grafana_admin_password;
      status.stack = manifest->name;
      status.attempted_revision = manifest->revision;
      if (!grafana_password.empty() &&
          std::find(secrets_seen.begin(), secrets_seen.end(), grafana_password) == secrets_seen.end()) {
        secrets_seen.push_back(grafana_password);  // an old password stays redacted too
        status.set_redactions(secrets_seen);
      }
      watch_files();
      enqueue_all();
      return true;
    } catch (const manifest::ManifestError& e) {
      manifest_error = e.what();
    } catch (const std::exception& e) {
      manifest_error = options.manifest_path + ": " + e.what();
    }
    while (!manifest_error.empty() && manifest_error.back() == '\n') manifest_error.pop_back();
    for (const auto& line : split_lines(manifest_error)) spdlog::error("invalid manifest: {}", line);
    spdlog::error("keeping the last good manifest{}",
                  manifest ? " (revision " + manifest->revision.substr(0, 12) + ")" : ": none yet, nothing is enforced");
    metrics.manifest_revision("", false);
    watch_files();
    return true;  // retrying the same file would not help: the next edit triggers us
  }

  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      out.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  net::awaitable<bool> reconcile_containers(const std::string& key) {
    std::optional<std::string> component;
    if (key != kStackKey) component = key;
    ConvergeObserver observer;
    observer.progress = [](const std::string& line) { spdlog::info("{}", line); };
    observer.on_reload = [this](const prometheus::ReloadOutcome& r) {
      using Kind = prometheus::ReloadOutcome::Kind;
      static const std::map<Kind, std::string> names{{Kind::Reloaded, "reloaded"},     {Kind::Rejected, "rejected"},
                                                     {Kind::RolledBack, "rolled_back"}, {Kind::NotReady, "not_ready"},
                                                     {Kind::Unchanged, "unchanged"}};
      metrics.prometheus_reload(names.at(r.kind));
      if (r.kind == Kind::Reloaded) spdlog::info("prometheus: configuration reloaded");
      else if (r.kind != Kind::Unchanged) spdlog::error("prometheus: {}: {}", prometheus::to_string(r.kind), r.message);
    };
    auto pinned = desired;  // this pass works on the revision it started with
    auto revision = pinned->revision;
    auto out = co_await converger.converge_containers(*pinned, component, observer, std::chrono::seconds(60));

    // A change while the manifest stood still is drift being repaired.
    bool manifest_changed = converged_revision[key] != revision;
    spdlog::debug("reconcile {}: {} changes, manifest {}", key, out.plan.changes.size(),
                  manifest_changed ? "changed since last success" : "unchanged");
    bool ok = true;
    auto now = clock.system_now();
    for (const auto& c : out.plan.changes) {
      if (c.kind != "container" || c.component.empty()) continue;
      std::string error;
      std::string id = c.existing_id;
      bool acted = false;
      for (const auto& r : out.result.results)
        if (r.name == "container " + c.name) {
          error = r.error;
          acted = r.acted;
          if (!r.id.empty()) id = r.id;
        }
      if (acted && !manifest_changed) {
        if (c.change == containers::Change::Create) metrics.drift_repaired("container_created");
        if (c.change == containers::Change::Recreate) metrics.drift_repaired("container_recreated");
        if (c.change == containers::Change::Start) metrics.drift_repaired("container_started");
      }
      bool still_desired = false;
      for (const auto& d : pinned->containers) still_desired |= d.component == c.component;
      if (c.change == containers::Change::Remove) {
        if (error.empty() && !still_desired) status.remove_component(c.component);
        if (still_desired) continue;  // a duplicate went away; the component's own key reports it
      } else {
        status.record_reconcile(c.component, id, error.empty() ? "running" : (c.change == containers::Change::Conflict ? "conflict" : "error"),
                                error, now);
      }
      if (!error.empty()) {
        spdlog::error("{}: {}", c.name, status.sanitize(error));
        component_error[c.component] = error;
        ok = false;
      } else {
        component_error.erase(c.component);
      }
    }
    for (const auto& r : out.result.results)
      if (!r.error.empty() && r.name.rfind("container ", 0) != 0) {
        spdlog::error("{}: {}", r.name, status.sanitize(r.error));
        component_error[r.name] = r.error;
        ok = false;
      } else if (r.error.empty()) {
        component_error.erase(r.name);
      }
    if (ok) {
      converged_revision[key] = revision;
      bool all = converged_revision[kStackKey] == revision;
      for (const auto& k : component_keys()) all = all && converged_revision[k] == revision;
      if (all) {
        first_full_pass_done = true;
        status.applied_revision = revision;
      }
    }
    co_return ok;
  }

  net::awaitable<bool> reconcile_grafana() {
    if (!manifest || !manifest->grafana.enabled) co_return true;
    auto pinned_manifest = manifest;
    auto pinned_desired = desired;
    auto password = grafana_password;
    auto revision = pinned_manifest->revision;
    auto report = co_await converger.sync_grafana(*pinned_manifest, *pinned_desired, password);
    if (report.drift_repaired > 0 && converged_revision[kGrafanaApiKey] == revision)
      for (int i = 0; i < report.drift_repaired; ++i) metrics.drift_repaired("dashboard");
    if (report.created + report.updated + report.deleted + report.moved > 0)
      spdlog::info("grafana: dashboards {} created, {} updated, {} deleted, {} moved, {} drift repaired (revision {})",
                   report.created, report.updated, report.deleted, report.moved, report.drift_repaired,
                   revision.substr(0, 12));
    if (!report.ok()) {
      std::string all;
      for (const auto& e : report.errors) {
        spdlog::error("grafana: {}", status.sanitize(e));
        all += (all.empty() ? "" : "; ") + e;
      }
      component_error["grafana-api"] = all;
      co_return false;
    }
    component_error.erase("grafana-api");
    converged_revision[kGrafanaApiKey] = revision;
    queue.add_after(kGrafanaApiKey, pinned_manifest->grafana.resync_interval);
    co_return true;
  }

  // ---- the loop ------------------------------------------------------------

  net::awaitable<void> process(const std::string& key) {
    auto started = clock.now();
    std::string reconciler = key == kManifestKey ? "manifest"
                             : key == kStackKey  ? "stack"
                             : key == kGrafanaApiKey ? "grafana"
                                                     : "container";
    bool ok = true;
    try {
      if (key == kManifestKey) ok = reconcile_manifest();
      else if (!desired) ok = true;  // nothing valid to enforce yet
      else if (key == kGrafanaApiKey) ok = co_await reconcile_grafana();
      else ok = co_await reconcile_containers(key);
    } catch (const std::exception& e) {
      ok = false;
      component_error[key] = status.sanitize(e.what());
      spdlog::error("reconcile {} failed: {}", key, status.sanitize(e.what()));
    }
    auto seconds = std::chrono::duration<double>(clock.now() - started).count();
    metrics.reconciled(reconciler, ok, seconds, unix_now(clock));
    if (ok) {
      component_error.erase(key);  // an earlier exception of this key is over
      queue.forget(key);
    } else {
      queue.add_rate_limited(key);
      spdlog::warn("retrying {} (attempt {})", key, queue.num_requeues(key));
    }
    update_conditions();
  }

  void update_conditions() {
    auto now = clock.system_now();
    if (!manifest_error.empty()) {
      status.set_condition(runtime::kConditionDegraded, true, "ManifestInvalid", manifest_error, now);
    } else if (!component_error.empty()) {
      std::string message;
      bool conflict = false;
      for (const auto& [k, e] : component_error) {
        message += (message.empty() ? "" : "; ") + k + ": " + e;
        conflict |= e.find("not managed by stackd") != std::string::npos;
      }
      status.set_condition(runtime::kConditionDegraded, true, conflict ? "NameConflict" : "ReconcileError", message, now);
    } else {
      status.set_condition(runtime::kConditionDegraded, false, "AsExpected", "", now);
    }
    auto q = queue.stats();
    bool busy = q.depth + q.processing > 0;
    status.set_condition(runtime::kConditionProgressing, busy, busy ? "Reconciling" : "Idle", "", now);
    bool ready = first_full_pass_done && component_error.empty();
    status.set_condition(runtime::kConditionReady, ready, ready ? "Converged" : (first_full_pass_done ? "Degraded" : "Starting"),
                         "", now);
  }

  net::awaitable<void> worker() {
    for (;;) {
      auto key = co_await queue.get();
      if (!key) co_return;
      heartbeat.beat();
      co_await process(*key);
      queue.done(*key);
      update_conditions();
    }
  }

  void on_event(const std::string& raw_key, const docker::Event& e) {
    std::string key = raw_key == runtime::kInfrastructureKey ? kStackKey : raw_key;
    // A key waiting out its backoff is not hurried by the events its own
    // failure causes (a crash-looping container would otherwise hot-loop).
    if (queue.num_requeues(key) > 0) return;
    spdlog::debug("docker event {} {} -> reconcile {}", e.type, e.action, key);
    queue.add(key);
  }

  void begin_stop() {
    if (stopping) return;
    stopping = true;
    spdlog::info("stopping: finishing in-flight work; containers keep running");
    queue.shut_down();
    cancel_events.emit(net::cancellation_type::terminal);
    if (files) files->stop();
    if (resync) resync->stop();
    if (http) http->stop();
    heartbeat.stop();
    grace_timer = clock.call_after(kStopGrace, [ex = executor] {
      spdlog::warn("in-flight work did not finish within {}s; exiting anyway", kStopGrace.count());
      std::exit(1);
    });
  }
};

Manager::Manager(net::any_io_executor executor, docker::Api& docker, runtime::Clock& clock, runtime::Random& random,
                 ManagerOptions options)
    : impl_(std::make_unique<Impl>(executor, docker, clock, random, std::move(options))) {}

Manager::~Manager() = default;

void Manager::stop() { impl_->begin_stop(); }

net::awaitable<int> Manager::run() {
  auto& s = *impl_;
  // The endpoint address comes from the flag, else from the manifest (even
  // one that is otherwise invalid is worth a try), else the default.
  std::string listen = s.options.listen.value_or("");
  if (listen.empty()) {
    try {
      manifest::LoadOptions lo;
      lo.allow_empty = true;
      auto m = manifest::load(s.options.manifest_path, lo);
      listen = m.controller.listen + ":" + std::to_string(m.controller.port);
    } catch (const std::exception&) {
      listen = "127.0.0.1:9321";
    }
  }
  auto [address, port] = split_listen(listen);

  s.files = std::make_unique<runtime::FileWatcher>(s.executor, s.clock, [&s] { s.queue.add(kManifestKey); });
  s.watch_files();
  s.files->start();

  runtime::EndpointHandlers handlers;
  handlers.liveness.push_back(runtime::heartbeat_check(s.heartbeat, std::chrono::seconds(30)));
  handlers.readiness.push_back(runtime::flag_check("first-reconcile", [&s] { return s.first_full_pass_done; },
                                                  "the first full reconcile has not finished"));
  handlers.readiness.push_back(runtime::flag_check("docker", [&s] { return s.events && s.events->connected(); },
                                                  "the Docker engine is not reachable"));
  handlers.status = [&s] {
    nlohmann::json j = s.status;
    return j;
  };
  handlers.metrics = [&s] {
    if (s.events) s.metrics.event_stream_reconnects(s.events->stats().reconnects);
    return s.metrics.expose(s.queue.stats());
  };
  s.http = std::make_unique<runtime::HttpEndpoints>(s.executor, runtime::HttpEndpointsConfig{.address = address, .port = port},
                                                   std::move(handlers));
  s.http->start();
  spdlog::info("serving /healthz /readyz /status /metrics on {}:{}", address, port);

  runtime::EventCallbacks callbacks;
  callbacks.on_connected = [&s] {
    spdlog::info("docker event stream connected; re-listing");
    s.enqueue_all();
  };
  callbacks.on_event = [&s](const std::string& key, const docker::Event& e) { s.on_event(key, e); };
  callbacks.on_disconnected = [](const std::string& error, runtime::Duration retry_in) {
    spdlog::warn("docker event stream lost ({}); reconnecting in {} ms", error,
                 std::chrono::duration_cast<std::chrono::milliseconds>(retry_in).count());
  };
  runtime::EventWatcherConfig ec;
  ec.reconnect.cap = std::chrono::seconds(5);  // an engine restart should not leave drift for long
  {
    manifest::LoadOptions lo;
    lo.allow_empty = true;
    try {
      ec.stack = manifest::load(s.options.manifest_path, lo).name;
    } catch (const std::exception&) {
    }
  }
  // Unknown stack (no valid manifest yet): every stackd object; event_key filters by stack.
  auto labels = ec.stack.empty() ? docker::Labels{{labels::kManagedBy, labels::kManagedByValue}}
                                 : labels::owner_labels(ec.stack);
  s.events = std::make_unique<runtime::EventWatcher>(s.clock, s.random, runtime::docker_event_stream(s.docker, labels), ec,
                                                    std::move(callbacks));
  net::co_spawn(s.executor, s.events->run(), net::bind_cancellation_slot(s.cancel_events.slot(), net::detached));

  s.resync = std::make_unique<runtime::ResyncTimer>(s.clock, s.random, s.options.resync, [&s] {
    spdlog::info("periodic resync");
    // Re-read the manifest too: a file it references may have appeared
    // since it was invalid, and such a file is not watched yet.
    s.queue.add(kManifestKey);
    s.enqueue_all();
  });
  s.resync->start();

  s.signals = std::make_unique<runtime::SignalHandler>(
      s.executor, runtime::SignalCallbacks{.on_stop = [&s](int) { s.begin_stop(); },
                                          .on_second_stop = [](int) { std::exit(1); },
                                          .on_resync = [&s] {
                                            spdlog::info("SIGHUP: full resync");
                                            s.queue.add(kManifestKey);
                                            s.enqueue_all();
                                          }});
  s.heartbeat.run_every(std::chrono::seconds(1));

  s.queue.add(kManifestKey);
  std::vector<net::awaitable<void>> workers;
  for (int i = 0; i < std::max(1, s.options.workers); ++i) workers.push_back(s.worker());
  co_await when_all(std::move(workers));
  s.grace_timer.cancel();
  if (s.signals) s.signals->cancel();
  spdlog::info("stopped");
  co_return 0;
}

}  // namespace stackd::manager
