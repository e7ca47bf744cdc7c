#pragma once
// Keeps Grafana's datasources, folders and dashboards equal to the manifest,
// through Grafana's HTTP API, level-triggered: every reconcile reads what
// Grafana holds now and writes only what differs. Independent of the manifest
// parser: the caller renders a Desired.
//
// Dashboards: compared as canonical JSON by sha256 (canonical_dashboard.hpp)
// with GET /api/dashboards/uid/:uid, read with bounded concurrency; only
// differing ones are pushed (POST /api/dashboards/db, overwrite, a message
// naming the manifest revision), one write at a time (Grafana on SQLite
// answers "database is locked" to concurrent writes). A dashboard edited or
// deleted in the UI is restored and counted as a drift repair; a folder
// change is applied even when the content did not change.
//
// Ownership: every dashboard stackd pushes carries the tag "stackd-managed"
// and a version message starting "stackd:". A tagged dashboard that is no
// longer in the manifest is deleted only if its retained version history has a
// stackd message (a UI "Save as" copy keeps the tag but has no such version).
// Grafana's versions list says "Initial save" for every first version, so the
// first version's real message is read with the single-version GET.
//
// Grafana 10.4 to 12.x: saves are sent with the version stackd read and
// overwrite=false, so a same-title dashboard of someone else's (unique titles
// before 11.3) answers 412 instead of being taken over; a schema-v2 dashboard
// (Grafana 12, 406 on the legacy GET) is reported once and left alone;
// datasource types are compared alias-aware (postgres is listed as
// grafana-postgresql-datasource); folders are looked up by uid first (a
// nested folder is not in the root's list).
//
// Credentials: Basic auth (admin user and password) or a service-account
// token (Bearer; no admin-password handling then). Grafana blocks a user
// after 5 failed logins in 5 minutes, so credentials it rejected are not sent
// again until they change or 6 minutes passed (LoginGuard), however often
// reconcile() is called; the report says so (credentials_rejected).
// See docs/grafana.md.
//
// Errors are per object (SyncReport::errors) and never stop the others.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clients/grafana/grafana_error.hpp"
#include "desired/desired_state.hpp"
#include "reconcilers/grafana/login_guard.hpp"
#include "runtime/clock.hpp"
#include "runtime/plan.hpp"

namespace stackd::grafana {

namespace net = boost::asio;

class Client;

// The credentials were rejected (now, or recently and not sent again).
class CredentialsRejected : public GrafanaError {
 public:
  explicit CredentialsRejected(std::string message) : GrafanaError(std::move(message), 401, "", "") {}
};

using desired::DashboardSpec;
using desired::DatasourceSpec;

struct Desired {
  std::string base_url;  // e.g. http://127.0.0.1:3000
  std::string user;
  std::string password;
  // A service-account token (spec.grafana.serviceAccountTokenFile's content).
  // When set, every request carries "Authorization: Bearer <token>", and no
  // admin password is handled at all (works with GF_AUTH_BASIC_ENABLED=false
  // and Grafana Cloud).
  std::string service_account_token;
  // Without a token: a pass first makes Grafana's admin password `password`.
  bool manage_password = false;
  // The password stackd last set in this Grafana (what the Grafana
  // container's password file holds): tried once when `password` is refused,
  // and changed from. nullopt: none is known.
  std::optional<std::string> previous_password;
  std::vector<DatasourceSpec> datasources;
  // Ready to push (desired/grafana/grafana_state.hpp: prepare_dashboard).
  std::vector<DashboardSpec> dashboards;
  std::string revision;  // manifest revision for version messages
  std::string prometheus_datasource_uid = "prometheus";
  // False when some dashboard files could not be prepared: their uids are
  // then unknown, so nothing is deleted in this pass.
  bool prune = true;
};

// What a pass would write, found by reading Grafana only (plan()), and
// written by execute(): the datasources to create or update, the folders to
// create, the dashboards to create, update, move, restore or delete, and the
// admin password to change. A dashboard Grafana holds as a schema-v2 one, or
// that is provisioned read-only, is not in it (warnings, errors).
struct SyncPlan {
  std::string grafana_version;  // from /api/health, e.g. "11.3.0"
  enum class Password { Current, ChangeFromPrevious, NotManaged } password = Password::NotManaged;
  std::string previous_password;  // with ChangeFromPrevious: the one Grafana accepts now

  struct DatasourceWrite {
    const DatasourceSpec* spec = nullptr;
    bool create = false;
    std::vector<runtime::FieldChange> fields;
  };
  std::vector<DatasourceWrite> datasources;
  int datasources_unchanged = 0;

  std::map<std::string, std::string> folder_uids;  // title -> uid, existing or to create
  std::vector<std::string> folders_to_create;      // titles

  struct DashboardWrite {
    const DashboardSpec* spec = nullptr;
    std::string folder_uid;
    std::optional<nlohmann::json> remote;  // Grafana's copy; nullopt: absent
    long remote_version = 0;
    bool content_same = false, folder_same = false;
    // Changed in Grafana behind stackd's back (a UI edit, a delete): drift.
    bool drift = false;
  };
  std::vector<DashboardWrite> dashboards;
  int unchanged = 0, left_alone = 0;

  struct DashboardDelete {
    std::string uid, title;
  };
  std::vector<DashboardDelete> deletes;

  bool credentials_rejected = false;
  std::string credentials_message;
  bool unreachable = false;  // Grafana did not answer /api/health: nothing is known of it
  std::vector<std::string> warnings, errors;

  // What a Grafana that holds nothing yet (a container about to be
  // created) gets: every datasource, folder and dashboard, created.
  static SyncPlan for_empty_grafana(const Desired& desired);

  bool empty() const {
    return datasources.empty() && folders_to_create.empty() && dashboards.empty() && deletes.empty() &&
           password != Password::ChangeFromPrevious;
  }
  // What `diff` shows of it: one change per object, a dashboard's with its
  // per-panel summary (and the whole JSON diff for -v).
  std::vector<runtime::Change> to_changes(const Desired& desired) const;
};

struct SyncReport {
  // Dashboards.
  int created = 0, updated = 0, deleted = 0, unchanged = 0, drift_repaired = 0, folders_created = 0, moved = 0;
  // Datasources.
  int datasources_created = 0, datasources_updated = 0, datasources_unchanged = 0;
  // Dashboards stackd leaves alone: Grafana 12 schema-v2 ones (the legacy API
  // cannot read them). Reported once in `warnings`, then only counted.
  int left_alone = 0;
  int requests = 0;  // HTTP requests made by this reconcile
  std::string grafana_version;  // from /api/health, e.g. "11.3.0"
  // Grafana refused the credentials (wrong password, login blocked by its
  // brute-force protection, basic auth disabled, bad token): nothing else was
  // done. credentials_message says which, that a lockout is likely, what to
  // do and when stackd tries again (it never retries the same credentials
  // sooner than LoginGuard allows, whoever calls). Also in `errors`.
  bool credentials_rejected = false;
  std::string credentials_message;
  // Things said once rather than failing every pass (e.g. a v2 dashboard).
  std::vector<std::string> warnings;
  // Each write made, as the plan listed it (SyncPlan::to_changes).
  std::vector<runtime::Change> applied;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

struct ReconcilerOptions {
  int read_concurrency = 4;  // parallel GETs; writes are serialised
};

class Reconciler {
 public:
  // With the system clock.
  explicit Reconciler(net::any_io_executor executor, ReconcilerOptions options = {});
  // With an injected clock (the login retry delay is measured on it).
  Reconciler(net::any_io_executor executor, runtime::Clock& clock, ReconcilerOptions options = {});
  ~Reconciler();

  // Reads what Grafana holds and decides what a pass would write; writes
  // nothing. Credentials it finds rejected are held back as reconcile's are.
  net::awaitable<SyncPlan> plan(const Desired& desired);
  // Writes what `plan` says, one write at a time.
  net::awaitable<SyncReport> execute(const Desired& desired, const SyncPlan& plan);
  // plan, then execute.
  net::awaitable<SyncReport> reconcile(const Desired& desired);

  // Makes Grafana's admin password equal to desired.password. Tries the
  // desired password; if Grafana rejects it, signs in with `previous` (the
  // password applied before) and changes it (PUT /api/user/password).
  // Returns true when it changed the password; false (and no request) with a
  // service-account token. Throws CredentialsRejected (a message that never
  // contains a password) when neither is accepted, and then, for the next
  // LoginGuard::retry_after(), throws the same without sending those
  // credentials again.
  net::awaitable<bool> ensure_admin_password(const Desired& desired, std::optional<std::string> previous);

 private:
  struct Pushed {
    std::string hash;  // desired hash stackd last pushed
    long version = 0;  // version Grafana gave that push
  };

  Client& client_for(const Desired& desired, const std::string& password);
  std::string credentials_key(const Desired& desired, const std::string& password) const;
  // A 401's message for people: which credentials, what Grafana said, what to do.
  std::string rejection_message(const Desired& desired, const GrafanaError& e, const std::string& retry,
                                const std::string& which = "the admin credentials") const;
  std::string retry_note(const std::string& key) const;
  // Whether the desired admin password is Grafana's (one GET /api/user), or
  // the previously applied one is (then a change from it is planned). Throws
  // CredentialsRejected when neither is, and then holds both back.
  net::awaitable<void> plan_password(const Desired& desired, std::optional<std::string> previous, SyncPlan& plan);
  net::awaitable<void> plan_datasources(Client& client, const Desired& desired, SyncPlan& plan);
  net::awaitable<void> plan_folders(Client& client, const Desired& desired, SyncPlan& plan);
  net::awaitable<void> plan_dashboards(Client& client, const Desired& desired, SyncPlan& plan);
  net::awaitable<void> plan_deletes(Client& client, const std::set<std::string>& keep, SyncPlan& plan);
  net::awaitable<bool> written_by_stackd(Client& client, const std::string& uid, int limit);

  net::any_io_executor executor_;
  std::unique_ptr<runtime::Clock> own_clock_;
  runtime::Clock& clock_;
  LoginGuard guard_;
  ReconcilerOptions options_;
  std::unique_ptr<Client> client_;
  std::string client_url_;
  std::map<std::string, Pushed> pushed_;  // by uid, this process's memory only
  std::set<std::string> seen_;            // uids seen present in Grafana
  std::set<std::string> reported_v2_;     // v2 dashboards already reported
  // Datasource type Grafana answered after stackd wrote a desired type, by uid.
  std::map<std::string, std::pair<std::string, std::string>> answered_type_;
};

// The plugin id Grafana stores for a datasource type (an alias such as
// "postgres" becomes "grafana-postgresql-datasource").
std::string canonical_datasource_type(const std::string& type);

// The uid stackd gives a folder it creates: derived from the title so a retry
// after a lost answer finds the folder instead of creating a second one.
std::string folder_uid_for_title(const std::string& title);

// The version message stackd writes; its prefix marks stackd's own versions.
inline constexpr const char* kVersionMessagePrefix = "stackd:";

}  // namespace stackd::grafana
