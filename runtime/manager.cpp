#include "runtime/manager.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/when_all.hpp"
#include "runtime/conditions.hpp"
#include "runtime/runtime_metrics.hpp"
#include "runtime/signals.hpp"
#include "runtime/status.hpp"
#include "runtime/work_queue.hpp"

namespace stackd::runtime {

namespace {

constexpr const char* kDefaultListen = "127.0.0.1:9321";
// The error slot of the daemon's own endpoints (no reconciler owns it): set
// while spec.stackd's address cannot be bound, so the stack is not Ready.
constexpr std::string_view kEndpointsKey = "endpoints";

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen must be address:port, got '" + listen + "'");
  auto address = listen.substr(0, colon);
  if (address.size() > 1 && address.front() == '[') address = address.substr(1, address.size() - 2);
  auto digits = listen.substr(colon + 1);
  int port = 0;
  if (!digits.empty() && digits.size() <= 5 && std::all_of(digits.begin(), digits.end(), ::isdigit))
    port = std::stoi(digits);
  if (port < 1 || port > 65535) throw std::invalid_argument("--listen: invalid port in '" + listen + "'");
  return {address, static_cast<std::uint16_t>(port)};
}

}  // namespace

std::string endpoints_listen(const std::string& listen, const desired::Snapshot* snapshot) {
  if (!listen.empty()) return listen;
  if (snapshot) {
    const auto& c = snapshot->manifest.controller;
    auto address = c.listen.find(':') != std::string::npos ? "[" + c.listen + "]" : c.listen;
    return address + ":" + std::to_string(c.port);
  }
  return kDefaultListen;
}

namespace {

std::string prefix_of(const std::string& key) { return key.substr(0, key.find('/')); }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

struct Manager::Impl {
  net::any_io_executor executor;
  Clock& clock;
  Random& random;
  SnapshotLoader& loader;
  ManagerOptions options;
  RuntimeMetrics metrics;
  WorkQueue queue;

  std::vector<std::unique_ptr<Reconciler>> reconcilers;  // registration order
  std::vector<std::unique_ptr<Source>> sources;
  std::vector<ProbeCheck> readiness;
  std::map<RouteKey, RouteHandler> routes;

  // The pinned desired state: a pass keeps the pointer it started with.
  desired::SnapshotPtr snapshot;
  struct KeyError {
    std::string reason, message;
    bool keeps_last_good = false;  // ReconcileError::keeps_last_good: the key kept what it had
  };
  std::map<std::string, KeyError> errors;      // owned by the key that raised it
  bool desired_state_invalid = false;           // the last load was refused as invalid (not a transient failure)
  std::map<std::string, std::string> converged;  // key -> revision of its last success
  // Every key converged one revision, once: /readyz from then on. A later
  // edit does not reset it; the Ready condition says what runs.
  bool first_reconcile_done = false;
  bool one_shot = false;                        // run_once()/plan(): each key once, no retries
  StackStatus status;
  std::vector<std::string> secrets_seen;  // every secret ever pinned stays redacted

  std::unique_ptr<HttpEndpoints> http;
  std::string http_listen;
  std::unique_ptr<SignalHandler> signals;
  net::cancellation_signal cancel_workers;
  bool stopping = false;

  Impl(net::any_io_executor ex, Clock& c, Random& r, metrics::Registry& reg, SnapshotLoader& l, ManagerOptions o)
      : executor(ex), clock(c), random(r), loader(l), options(std::move(o)), metrics(reg), queue(ex, c, r) {}

  Reconciler* reconciler_for(const std::string& key) const {
    auto prefix = prefix_of(key);
    for (const auto& r : reconcilers)
      if (r->name() == prefix) return r.get();
    return nullptr;
  }

  std::vector<std::string> desired_keys() const {
    std::vector<std::string> keys;
    if (!snapshot) return keys;
    for (const auto& r : reconcilers)
      for (auto& k : r->keys(*snapshot)) keys.push_back(std::move(k));
    return keys;
  }

  bool is_desired(const std::string& key) const {
    auto keys = desired_keys();
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  }

  void enqueue_all() {
    for (const auto& k : desired_keys()) queue.add(k);
  }

  void enqueue_component(const std::string& component) {
    for (const auto& r : reconcilers)
      for (const auto& k : r->keys_for_component(component)) {
        // A key waiting out its backoff is not hurried by the events its own
        // failure causes (a crash-looping container would otherwise hot-loop).
        if (queue.num_requeues(k) > 0) continue;
        queue.add(k);
      }
  }

  Enqueue enqueue_handle() {
    return Enqueue{.key = [this](const std::string& k) { queue.add(k); },
                   .all = [this] { enqueue_all(); },
                   .component = [this](const std::string& c) { enqueue_component(c); }};
  }

  // ---- the desired state -------------------------------------------------

  // Loads the desired state; a new revision is pinned and every key
  // enqueued, keys that left it are forgotten (their errors with them).
  net::awaitable<void> load_snapshot() {
    desired::SnapshotPtr next;
    try {
      next = co_await loader.load();
    } catch (const ReconcileError& e) {
      auto message = std::string(e.what());
      // Terminal: the desired state itself is wrong (an edit fixes it); else
      // something around it failed (a state directory, a remote) and a retry may do.
      desired_state_invalid = e.retry() == ReconcileError::Retry::Never;
      for (const auto& line : split_lines(message))
        spdlog::error("{}: {}", desired_state_invalid ? "invalid desired state" : "cannot load the desired state",
                      status.sanitize(line));
      spdlog::error("keeping the last good revision{}",
                    snapshot ? " (" + snapshot->revision.substr(0, 19) + ")" : ": none yet, nothing is enforced");
      if (desired_state_invalid) metrics.manifest_valid(false);
      if (snapshot) snapshot_changed_for_sources(*snapshot);  // keep watching what the last good one references
      throw;
    }
    errors.erase(std::string(kManifestKey));
    desired_state_invalid = false;
    metrics.manifest_valid(true);
    if (snapshot && snapshot->revision == next->revision) {
      follow_listen();  // a move that failed (port taken) is tried again at every resync
      co_return;
    }
    if (!snapshot && options.admit) co_await admit(next);
    spdlog::info("desired state: revision {} from {} {}{}", next->revision.substr(0, 19), next->source.source,
                 next->source.revision, snapshot ? " (was " + snapshot->revision.substr(0, 19) + ")" : "");
    auto before = desired_keys();
    snapshot = next;
    auto after = desired_keys();
    for (const auto& k : before)
      if (std::find(after.begin(), after.end(), k) == after.end()) forget(k);
    status.stack = snapshot->manifest.name;
    status.attempted_revision = snapshot->revision;
    for (const auto& s : snapshot->secrets.all())
      if (!s.empty() && std::find(secrets_seen.begin(), secrets_seen.end(), s) == secrets_seen.end())
        secrets_seen.push_back(s);
    status.set_redactions(secrets_seen);
    metrics.revision(snapshot->revision, snapshot->source.source, snapshot->source.revision);
    snapshot_changed_for_sources(*snapshot);
    follow_listen();
    enqueue_all();
  }

  // The first desired state passes options.admit before it is pinned.
  net::awaitable<void> admit(desired::SnapshotPtr next) {
    try {
      co_await options.admit(next);
    } catch (const ReconcileError& e) {
      if (e.retry() == ReconcileError::Retry::Never) {
        refused = true;
        for (const auto& line : split_lines(e.what())) spdlog::critical("{}", line);
        begin_stop();
      }
      throw;
    }
  }
  bool refused = false;  // options.admit refused the desired state: run() returns 1

  void snapshot_changed_for_sources(const desired::Snapshot& s) {
    for (const auto& src : sources) src->snapshot_changed(s);
  }

  void forget(const std::string& key) {
    errors.erase(key);
    converged.erase(key);
    queue.forget(key);
    if (auto* r = reconciler_for(key)) r->forget(key);
  }

  // ---- one key -------------------------------------------------------------

  // Parameters by value: a coroutine outlives the caller's temporaries.
  net::awaitable<void> process(std::string key, std::function<void(const std::string&)> progress,
                               std::function<void(const Change&)> applied = {}) {
    auto started = clock.now();
    std::string reconciler = prefix_of(key);
    bool ok = true;
    bool retry = false;
    std::optional<Duration> retry_after;
    try {
      if (key == kManifestKey) {
        co_await load_snapshot();
      } else if (snapshot) {
        auto* r = reconciler_for(key);
        if (!r || !is_desired(key)) {
          forget(key);  // left the desired state while queued
          co_return;
        }
        auto pinned = snapshot;
        Context ctx{.snapshot = pinned, .clock = clock, .progress = progress, .applied = applied};
        Request request{key};  // a named object: GCC 12 mishandles temporaries inside co_await
        auto result = co_await r->reconcile(request, ctx);
        errors.erase(key);
        converged[key] = pinned->revision;
        if (result.requeue_after) queue.add_after(key, *result.requeue_after);
      }
    } catch (const ReconcileError& e) {
      ok = false;
      retry = e.retry() == ReconcileError::Retry::Backoff;
      if (e.retry() == ReconcileError::Retry::After) retry_after = e.retry_after();
      record_error(key, e.reason(), e.what(), e.keeps_last_good());
    } catch (const boost::system::system_error& e) {
      if (stopping && e.code() == net::error::operation_aborted) co_return;  // cancelled by stop()
      ok = false;
      retry = true;
      record_error(key, "ReconcileError", e.what());
    } catch (const std::exception& e) {
      ok = false;
      retry = true;
      record_error(key, "ReconcileError", e.what());
    }
    auto seconds = std::chrono::duration<double>(clock.now() - started).count();
    spdlog::debug("pass of {} {} in {:.0f} ms", key, ok ? "succeeded" : "failed", seconds * 1000);
    metrics.reconciled(reconciler, ok, seconds,
                       std::chrono::duration<double>(clock.system_now().time_since_epoch()).count());
    if (ok) {
      queue.forget(key);
    } else if (one_shot) {
      // `apply` and `diff` pass over every key once: nothing is retried, so
      // nothing says it is.
    } else if (retry_after && !stopping) {
      queue.add_after(key, *retry_after);
    } else if (retry && !stopping) {
      queue.add_rate_limited(key);
      // Said once (record_error logs each new error); every attempt only at debug.
      spdlog::debug("retrying {} (attempt {})", key, queue.num_requeues(key));
    }
    update_conditions();
  }

  // Logs state changes, not attempts: a key's error when it is new, once
  // while the same error holds (retries back off quietly), and once for
  // every key failing the same way (the engine down fails them all).
  void record_error(const std::string& key, const std::string& reason, const std::string& message,
                    bool keeps_last_good = false) {
    auto text = status.sanitize(message);
    bool said = false;
    for (const auto& [k, e] : errors) said = said || e.message == message;
    if (key != kManifestKey) {
      if (said) spdlog::debug("reconcile {} failed ({}): {}", key, reason, text);
      else spdlog::error("reconcile {} failed ({}): {}", key, reason, text);
    }
    errors[key] = KeyError{reason, message, keeps_last_good};
  }

  void update_conditions() {
    auto now = clock.system_now();
    ConditionInputs in;
    in.pinned_revision = snapshot ? snapshot->revision : "";
    in.pinned_converged = snapshot != nullptr;
    for (const auto& k : desired_keys())
      in.pinned_converged = in.pinned_converged && converged.contains(k) && converged.at(k) == snapshot->revision;
    for (const auto& [k, e] : errors) {
      KeyFailure f{k, e.reason, e.message, e.keeps_last_good, converged.contains(k) ? converged.at(k) : ""};
      if (k == kManifestKey) in.desired_state = std::move(f);
      else in.keys.push_back(std::move(f));
    }
    if (in.pinned_converged && in.keys.empty()) {
      first_reconcile_done = true;
      status.applied_revision = snapshot->revision;
    }
    in.first_reconcile_done = first_reconcile_done;
    in.applied_revision = status.applied_revision;
    auto q = queue.stats();
    in.busy = q.depth + q.processing > 0;
    auto derived = derive_conditions(in);
    auto set = [&](std::string_view type, DerivedCondition& c) {
      status.set_condition(type, c.status, std::move(c.reason), std::move(c.message), now);
    };
    set(kConditionDegraded, derived.degraded);
    set(kConditionProgressing, derived.progressing);
    set(kConditionReady, derived.ready);
  }

  net::awaitable<void> worker() {
    for (;;) {
      auto key = co_await queue.get();
      if (!key) co_return;
      co_await process(*key, [](const std::string& line) { spdlog::info("{}", line); });
      queue.done(*key);
      update_conditions();
    }
  }

  // ---- endpoints -------------------------------------------------------------

  std::string wanted_listen() const { return endpoints_listen(options.listen, snapshot.get()); }

  // Binds the endpoints where the manifest says; a changed spec.stackd
  // listen/port moves them (Prometheus' scrape target moves with it).
  void follow_listen() {
    if (!options.serve_http || stopping) return;
    auto listen = wanted_listen();
    if (http && listen == http_listen) {
      errors.erase(std::string(kEndpointsKey));  // e.g. a move onto a taken port was undone
      return;
    }
    auto [address, port] = split_listen(listen);
    auto next = std::make_unique<HttpEndpoints>(
        executor, HttpEndpointsConfig{.address = address, .port = port}, handlers());
    try {
      next->start();
    } catch (const std::exception& e) {
      if (!http) throw;  // at startup a taken port is fatal
      spdlog::error("cannot move the endpoints to {}: {}; staying on {}", listen, e.what(), http_listen);
      // Prometheus now scrapes the new address: not Ready until it is served.
      record_error(std::string(kEndpointsKey), "ListenFailed",
                   "cannot serve the endpoints on " + listen + " (" + e.what() + "); still on " + http_listen);
      return;
    }
    errors.erase(std::string(kEndpointsKey));
    if (http) {
      spdlog::info("moving the endpoints from {} to {}", http_listen, listen);
      http->stop();
      retired.push_back(std::move(http));  // its connections finish on the io_context
    }
    http = std::move(next);
    http_listen = listen;
    spdlog::info("serving /healthz /readyz /status /metrics on {}", listen);
  }
  std::vector<std::unique_ptr<HttpEndpoints>> retired;

  EndpointHandlers handlers() {
    EndpointHandlers h;
    h.liveness.push_back(ProbeCheck{"reconcile-progress", [this]() -> std::optional<std::string> {
                                      auto q = queue.stats();
                                      if (q.longest_processing <= options.stuck_after) return std::nullopt;
                                      return "key " + q.longest_processing_key + " has been processing for " +
                                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                q.longest_processing)
                                                                .count()) +
                                             "s";
                                    }});
    h.readiness.push_back(flag_check("first-reconcile", [this] { return first_reconcile_done; },
                                     "the first full reconcile has not finished"));
    for (const auto& r : readiness) h.readiness.push_back(r);
    h.status = [this] { return status_json(); };
    h.metrics = [this] { return metrics.expose(queue.stats()); };
    h.routes = routes;
    return h;
  }

  nlohmann::json status_json() const {
    StackStatus s = status;
    std::vector<ComponentReport> reports;
    for (const auto& r : reconcilers) r->describe(reports);
    for (const auto& c : reports) {
      auto& out = s.components[c.name];
      out.name = c.name;
      out.container_id = c.container_id;
      out.state = c.state;
      out.last_reconcile_time = c.last_reconcile_time;
      out.last_error = s.sanitize(c.last_error);
    }
    nlohmann::json j = s;
    auto& src = j["sources"] = nlohmann::json::object();
    for (const auto& source : sources) {
      auto st = source->status();
      if (!st.empty()) src[std::string(source->name())] = st;
    }
    if (snapshot) j["sourceRevision"] = {{"source", snapshot->source.source}, {"revision", snapshot->source.revision}};
    return j;
  }

  // ---- stop ------------------------------------------------------------------

  void begin_stop() {
    if (stopping) return;
    stopping = true;
    spdlog::info("stopping: cancelling in-flight work; containers keep running");
    for (const auto& s : sources) s->stop();
    queue.shut_down();
    cancel_workers.emit(net::cancellation_type::terminal);
    if (http) http->stop();
  }
};

Manager::Manager(net::any_io_executor executor, Clock& clock, Random& random, metrics::Registry& registry,
                 SnapshotLoader& loader, ManagerOptions options)
    : impl_(std::make_unique<Impl>(executor, clock, random, registry, loader, std::move(options))) {}

Manager::~Manager() = default;

void Manager::add(std::unique_ptr<Reconciler> reconciler) {
  impl_->metrics.declare_reconciler(std::string(reconciler->name()));
  impl_->reconcilers.push_back(std::move(reconciler));
}
void Manager::add(std::unique_ptr<Source> source) { impl_->sources.push_back(std::move(source)); }
void Manager::add_readiness(ProbeCheck check) { impl_->readiness.push_back(std::move(check)); }
void Manager::add_route(RouteKey route, RouteHandler handler) { impl_->routes[std::move(route)] = std::move(handler); }

void Manager::stop() { impl_->begin_stop(); }
void Manager::enqueue(const std::string& key) { impl_->queue.add(key); }
void Manager::enqueue_all() { impl_->enqueue_all(); }
std::vector<std::string> Manager::errors() const {
  // One line per cause: the engine down fails every key the same way.
  std::vector<std::pair<std::string, std::string>> folded;  // keys, message
  for (const auto& [k, e] : impl_->errors) {
    auto message = impl_->status.sanitize(e.message);
    auto same = std::find_if(folded.begin(), folded.end(), [&](const auto& f) { return f.second == message; });
    if (same != folded.end()) same->first += ", " + k;
    else folded.emplace_back(k, std::move(message));
  }
  std::vector<std::string> out;
  for (const auto& [keys, message] : folded) out.push_back(keys + ": " + message);
  return out;
}
bool Manager::desired_state_invalid() const { return impl_->desired_state_invalid; }
nlohmann::json Manager::status() const { return impl_->status_json(); }
desired::SnapshotPtr Manager::snapshot() const { return impl_->snapshot; }
std::vector<std::string> Manager::desired_keys() const { return impl_->desired_keys(); }
std::vector<std::string> Manager::keys_for_component(const std::string& component) const {
  std::vector<std::string> keys;
  for (const auto& r : impl_->reconcilers)
    for (auto& k : r->keys_for_component(component)) keys.push_back(std::move(k));
  return keys;
}

net::awaitable<int> Manager::run() {
  auto& s = *impl_;
  // The desired state first, so the endpoints bind where the manifest says.
  co_await s.process(std::string(kManifestKey), [](const std::string& line) { spdlog::info("{}", line); });
  if (s.refused) co_return 1;
  s.follow_listen();
  for (const auto& source : s.sources) source->start(s.enqueue_handle());
  if (s.snapshot) s.snapshot_changed_for_sources(*s.snapshot);

  s.signals = std::make_unique<SignalHandler>(
      s.executor, SignalCallbacks{.on_stop = [&s](int) { s.begin_stop(); },
                                  .on_second_stop = [](int) { std::_Exit(1); },
                                  .on_resync = [&s] {
                                    spdlog::info("SIGHUP: full resync");
                                    s.queue.add(std::string(kManifestKey));
                                    s.enqueue_all();
                                  }});
  s.enqueue_all();

  std::vector<net::awaitable<void>> workers;
  for (int i = 0; i < std::max(1, s.options.workers); ++i) workers.push_back(s.worker());
  try {
    co_await net::co_spawn(s.executor, when_all(std::move(workers)),
                           net::bind_cancellation_slot(s.cancel_workers.slot(), net::use_awaitable));
  } catch (const boost::system::system_error& e) {
    if (e.code() != net::error::operation_aborted) throw;
  }
  if (s.signals) s.signals->cancel();
  spdlog::info("stopped");
  co_return s.refused ? 1 : 0;
}

net::awaitable<Manager::PlanResult> Manager::plan() {
  auto& s = *impl_;
  s.one_shot = true;
  PlanResult out;
  co_await s.process(std::string(kManifestKey), [](const std::string&) {});
  if (!s.snapshot) co_return out;
  out.snapshot = s.snapshot;
  for (const auto& r : s.reconcilers) {
    const auto keys = r->keys(*s.snapshot);
    std::vector<std::vector<Change>> parts(keys.size());
    std::vector<net::awaitable<void>> plans;
    for (std::size_t i = 0; i < keys.size(); ++i)
      plans.push_back([](Impl& m, Reconciler& rec, std::string key, std::vector<Change>& into) -> net::awaitable<void> {
        Context ctx{.snapshot = m.snapshot, .clock = m.clock, .progress = {}};
        Request request{key};
        try {
          into = co_await rec.plan(request, ctx);
          m.errors.erase(key);
        } catch (const ReconcileError& e) {
          m.record_error(key, e.reason(), e.what());
        } catch (const std::exception& e) {
          m.record_error(key, "ReconcileError", e.what());
        }
      }(s, *r, keys[i], parts[i]));
    co_await when_all(std::move(plans));
    for (auto& p : parts)
      for (auto& c : p) out.changes.push_back(std::move(c));
  }
  co_return out;
}

net::awaitable<bool> Manager::run_once(std::function<void(const std::string&)> progress,
                                       std::function<void(const Change&)> applied, BeforeActing before_acting) {
  auto& s = *impl_;
  s.one_shot = true;
  co_await s.process(std::string(kManifestKey), progress);
  if (!s.snapshot) co_return false;
  if (before_acting) {
    auto refused = co_await before_acting(*s.snapshot);
    for (auto& [key, message] : refused) s.errors[key] = Impl::KeyError{"ConfigRejected", std::move(message), true};
    if (!refused.empty()) co_return false;
  }
  for (const auto& r : s.reconcilers) {
    std::vector<net::awaitable<void>> passes;
    for (const auto& key : r->keys(*s.snapshot)) passes.push_back(s.process(key, progress, applied));
    co_await when_all(std::move(passes));
  }
  co_return s.errors.empty();
}

}  // namespace stackd::runtime
