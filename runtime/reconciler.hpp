#pragma once
// The one contract between the runtime and everything it reconciles, in the
// shape of controller-runtime's reconcile.Reconciler:
//
//   awaitable<Result> reconcile(const Request&, Context&)
//
// The runtime (runtime/manager.hpp) alone calls it, from its work queue,
// never for the same key twice at once. A reconciler reads the world and the
// pinned snapshot, makes them equal and returns. It throws to fail: a
// ReconcileError carries the reason its condition shows (CamelCase, e.g.
// NameConflict) and whether retrying can help; any other exception is a
// retryable "ReconcileError". The runtime retries failures with per-key
// exponential backoff, clears a key's error when the key succeeds or stops
// being desired, and derives the stack's conditions from the errors it holds.
//
// Each reconciler owns its keys (keys()), its status (describe()), its own
// metrics (registered on the Registry it is constructed with) and its
// requeue (Result::requeue_after). Adding a reconciler is one folder under
// reconcilers/ and one registration line in controller/setup.
//
// plan() is reconcile() without acting: the same reads of the world and the
// same decision, returned as typed changes (runtime/plan.hpp). `stackd diff`
// prints what every key's plan() says; reconcile() executes exactly what its
// own plan says, so nothing in between may decide differently.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "desired/snapshot.hpp"
#include "runtime/clock.hpp"
#include "runtime/plan.hpp"

namespace stackd::runtime {

// "Look again at key K." Keys are "<reconciler>" or "<reconciler>/<object>",
// e.g. "infrastructure", "container/prometheus", "grafana".
struct Request {
  std::string key;
  // The part after the first '/', or "" for a reconciler-wide key.
  std::string_view object() const {
    auto slash = key.find('/');
    return slash == std::string::npos ? std::string_view{} : std::string_view(key).substr(slash + 1);
  }
};

struct Result {
  // Look at this key again after this long even if nothing triggers it
  // (a periodic API sync). Empty: only when something triggers it.
  std::optional<Duration> requeue_after;
};

// A failure with a machine-readable reason for the Degraded condition.
class ReconcileError : public std::runtime_error {
 public:
  enum class Retry {
    Backoff,  // try again with per-key exponential backoff
    // Terminal until something changes (controller-runtime's TerminalError):
    // an edit, an event, a resync. It also says the key refused the desired
    // state and left the world as its last success did (a rejected config
    // rolled back), so the stack stays Ready on its last good revision.
    Never,
    After,    // look again after a fixed delay: waiting on something no event announces (a foreign container)
  };
  ReconcileError(std::string reason, const std::string& message, Retry retry = Retry::Backoff)
      : std::runtime_error(message), reason_(std::move(reason)), retry_(retry) {}
  ReconcileError(std::string reason, const std::string& message, Duration retry_after)
      : std::runtime_error(message), reason_(std::move(reason)), retry_(Retry::After), retry_after_(retry_after) {}
  const std::string& reason() const { return reason_; }
  Retry retry() const { return retry_; }
  Duration retry_after() const { return retry_after_; }
  // The key refused the desired state and the world still runs what it last
  // converged (a rejected config rolled back, a recreate undone or never
  // begun): the stack stays Ready on its last good revision, Degraded says
  // why. By default what Retry::Never says; a key that knows better (a
  // recreate put back, retried after a slow wait; a create refused with
  // nothing running) sets it.
  bool keeps_last_good() const { return keeps_last_good_.value_or(retry_ == Retry::Never); }
  ReconcileError& set_keeps_last_good(bool kept) {
    keeps_last_good_ = kept;
    return *this;
  }

 private:
  std::string reason_;
  Retry retry_;
  Duration retry_after_{0};
  std::optional<bool> keeps_last_good_;
};

// What a pass gets besides its request.
struct Context {
  desired::SnapshotPtr snapshot;  // the revision this pass works on; never null
  Clock& clock;
  // Keeps a progress line for people (the daemon logs it; apply prints it).
  std::function<void(const std::string& line)> progress;
  // Each change the pass made, as its plan listed it (`apply` prints them
  // beside what `diff` showed); null: nobody collects them.
  std::function<void(const Change& change)> applied;
};

// One entry of /status "components": a thing a person recognises.
struct ComponentReport {
  std::string name;  // prometheus | grafana | node-exporter | grafana-api | ...
  std::string container_id;
  std::string state;  // running, exited, missing, synced, ...
  std::optional<SystemTime> last_reconcile_time;
  std::string last_error;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Label value of stackd_reconcile_total{reconciler=...} and the first part of its keys.
  virtual std::string_view name() const = 0;
  // Every key this reconciler wants reconciled for a snapshot: the runtime
  // enqueues them on a new revision, on resync and after a reconnect, and
  // forgets (clears the error and status of) keys that left the set.
  virtual std::vector<std::string> keys(const desired::Snapshot& snapshot) const = 0;
  virtual boost::asio::awaitable<Result> reconcile(const Request& request, Context& context) = 0;
  // What reconcile() would change now, and why; changes nothing anywhere
  // (no write to the engine, Grafana, or the state directory). Throws as
  // reconcile() does when it cannot find out.
  virtual boost::asio::awaitable<std::vector<Change>> plan(const Request& request, Context& context) = 0;
  // Keys to look at when a container of `component` changed ("" for the
  // stack's networks and volumes); Docker events arrive this way.
  virtual std::vector<std::string> keys_for_component(std::string_view component) const {
    (void)component;
    return {};
  }
  // A key left keys(): drop what describe() shows for it.
  virtual void forget(const std::string& key) { (void)key; }
  // What this reconciler shows on /status and `stackd status`.
  virtual void describe(std::vector<ComponentReport>& out) const { (void)out; }
};

}  // namespace stackd::runtime
