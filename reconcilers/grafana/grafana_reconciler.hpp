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

namespace stackd::grafana {

namespace net = boost::asio;

class Client;

struct DatasourceSpec {
  std::string uid, name, type, url, access = "proxy";
  bool is_default = false;
  nlohmann::json json_data = nlohmann::json::object();
};

struct DashboardSpec {
  std::string source;  // file path, for messages
  nlohmann::json model;
  std::string folder_title;  // "" = root
};

struct Desired {
  std::string base_url;  // e.g. http://127.0.0.1:3000
  std::string user;
  std::string password;
  std::vector<DatasourceSpec> datasources;
  std::vector<DashboardSpec> dashboards;
  std::string revision;  // manifest revision for version messages
  std::string prometheus_datasource_uid = "prometheus";
  // False when some dashboard files could not be loaded: their uids are then
  // unknown, so nothing is deleted in this pass (a typo must not delete a dashboard).
  bool prune = true;
};

struct SyncReport {
  // Dashboards.
  int created = 0, updated = 0, deleted = 0, unchanged = 0, drift_repaired = 0, folders_created = 0, moved = 0;
  // Datasources.
  int datasources_created = 0, datasources_updated = 0, datasources_unchanged = 0;
  int requests = 0;  // HTTP requests made by this reconcile
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

struct ReconcilerOptions {
  int read_concurrency = 4;                   // parallel GETs; writes are serialised
  std::string managed_tag = "stackd-managed";
};

class Reconciler {
 public:
  explicit Reconciler(net::any_io_executor executor, ReconcilerOptions options = {});
  ~Reconciler();

  net::awaitable<SyncReport> reconcile(const Desired& desired);

  // Makes Grafana's admin password equal to desired.password. Tries the
  // desired password; if Grafana rejects it, signs in with `previous` (the
  // password applied before) and changes it (PUT /api/user/password).
  // Returns true when it changed the password. Throws GrafanaError (with a
  // message that never contains a password) when neither is accepted.
  net::awaitable<bool> ensure_admin_password(const Desired& desired, std::optional<std::string> previous);
  // The same, remembering the applied password in a 0600 state file.
  net::awaitable<bool> ensure_admin_password(const Desired& desired, const std::filesystem::path& applied_file);

 private:
  struct Pushed {
    std::string hash;  // desired hash stackd last pushed
    long version = 0;  // version Grafana gave that push
  };
  struct Plan;

  Client& client_for(const Desired& desired, const std::string& password);
  net::awaitable<void> sync_datasources(Client& client, const Desired& desired, SyncReport& report);
  net::awaitable<std::map<std::string, std::string>> sync_folders(Client& client, const Desired& desired,
                                                                  SyncReport& report);
  net::awaitable<void> sync_dashboards(Client& client, const Desired& desired,
                                       const std::map<std::string, std::string>& folder_uids, SyncReport& report);
  net::awaitable<void> fetch_worker(Client& client, std::vector<Plan>& plans, std::size_t& next);
  net::awaitable<void> prune_dashboards(Client& client, const std::set<std::string>& keep, SyncReport& report);
  net::awaitable<bool> written_by_stackd(Client& client, const std::string& uid, int limit);

  net::any_io_executor executor_;
  ReconcilerOptions options_;
  std::unique_ptr<Client> client_;
  std::string client_url_;
  std::map<std::string, Pushed> pushed_;  // by uid, this process's memory only
  std::set<std::string> seen_;            // uids seen present in Grafana
};

// The uid stackd gives a folder it creates: derived from the title so a retry
// after a lost answer finds the folder instead of creating a second one.
std::string folder_uid_for_title(const std::string& title);

// The version message stackd writes; its prefix marks stackd's own versions.
inline constexpr const char* kVersionMessagePrefix = "stackd:";

}  // namespace stackd::grafana
