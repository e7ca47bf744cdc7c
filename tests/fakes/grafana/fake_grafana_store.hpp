#pragma once
// The state and rules of the Grafana fake: dashboards with versions and
// version history, folders, datasources, the admin user. Each operation
// returns what Grafana's HTTP API would answer (status and JSON body), as
// documented at grafana.com/docs/grafana/latest/developers/http_api/ and read
// from Grafana's source (docs/grafana.md). The HTTP
// layer (fake_grafana_server) only routes and authenticates.
//
// Test-only. The product never links this.
#include <nlohmann/json.hpp>

#include <optional>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/fakes/grafana/grafana_version.hpp"

namespace stackd::fakes::grafana {

using nlohmann::json;

struct Reply {
  unsigned status = 200;
  json body = json::object();
};

struct StoreOptions {
  // Which Grafana release to behave like (grafana_version.hpp lists what
  // changes between them). The default is the default image's, 11.3.
  GrafanaVersion version = GrafanaVersion::v11_3;
  // Grafana <= 11.2: dashboard titles unique per folder (412 name-exists, or a
  // silent takeover of the other dashboard's uid with overwrite). 11.3 dropped
  // it. Follows `version` unless forced (FAKE_GRAFANA_UNIQUE_TITLES).
  std::optional<bool> unique_titles;
  int versions_to_keep = 20;  // [dashboards] versions_to_keep
  std::string admin_user = "admin";
  std::string admin_password = "admin";
  // [security] brute-force login protection: max failed logins per user in 5 minutes.
  int max_login_attempts = 5;
  bool brute_force_protection = true;
  // Wall clock for the login-attempt window (tests move it by hand).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

// What a username/password check answered, as Grafana's password client does.
enum class PasswordCheck { ok, wrong, blocked };

// Parsed query parameters; a key may repeat (tag=a&tag=b).
using Query = std::multimap<std::string, std::string>;

class Store {
 public:
  explicit Store(StoreOptions options);

  // Authentication: the admin's login (or email) and current password.
  bool check_basic(const std::string& user, const std::string& password) const;
  // The login path with brute-force protection: blocked once a user has
  // max_login_attempts failures in the last 5 minutes (even with the right
  // password); a wrong password for an existing user adds a failure.
  PasswordCheck authenticate_password(const std::string& user, const std::string& password);
  // Failed logins recorded in the last 5 minutes for `user` (the login_attempt table).
  int recent_failed_logins(const std::string& user) const;
  int failed_logins_total() const { return static_cast<int>(login_attempts_.size()); }
  const StoreOptions& options() const { return options_; }
  const std::string& admin_login() const { return admin_login_; }

  Reply current_user() const;
  Reply change_own_password(const json& body);
  Reply admin_set_password(const std::string& id, const json& body);

  Reply save_dashboard(const json& body, const std::string& user);
  Reply get_dashboard(const std::string& uid) const;
  // Grafana 12's /apis/dashboard.grafana.app/v2alpha1 create: a schema-v2
  // dashboard that the legacy GET refuses with 406.
  Reply create_v2_dashboard(const json& body, const std::string& user);
  Reply delete_dashboard(const std::string& uid);
  Reply dashboard_versions(const std::string& uid, const Query& q) const;
  Reply dashboard_version(const std::string& uid, const std::string& version) const;
  Reply search(const Query& q) const;

  Reply list_folders(const Query& q) const;
  Reply get_folder(const std::string& uid) const;
  Reply move_folder(const std::string& uid, const json& body);
  Reply create_folder(const json& body, const std::string& user);
  Reply update_folder(const std::string& uid, const json& body, const std::string& user);
  Reply delete_folder(const std::string& uid);

  Reply list_datasources() const;
  Reply get_datasource_by_uid(const std::string& uid) const;
  Reply get_datasource_by_name(const std::string& name) const;
  Reply create_datasource(const json& body);
  Reply update_datasource(const std::string& uid, const json& body);
  Reply delete_datasource_by_uid(const std::string& uid);
  Reply delete_datasource_by_name(const std::string& name);

  // Persistence (Grafana keeps this in grafana.db under its data directory).
  // The admin password in a restored state wins over the environment, as in
  // Grafana, where GF_SECURITY_ADMIN_PASSWORD only seeds a new database.
  json to_json() const;
  void load_json(const json& state);
  // Bumped by every mutation; the server persists when it changes.
  std::uint64_t generation() const { return generation_; }

 private:
  struct Version {
    long id = 0;
    int version = 0;
    std::string created, created_by, message;
    json data;
  };
  struct Dashboard {
    long id = 0;
    std::string uid, folder_uid, created, updated, created_by, updated_by;
    int version = 0;
    bool provisioned = false;  // provisioned with allowUiUpdates=false: read-only
    bool schema_v2 = false;    // saved through the v2 API (Grafana 12)
    json data;
    std::vector<Version> versions;  // oldest first
  };
  struct Folder {
    long id = 0;
    std::string uid, title, created, updated, created_by, updated_by;
    std::string parent_uid;  // "" = root (nested folders, 11.0+)
    int version = 1;
  };

  json folder_json(const Folder& f) const;
  json dashboard_hit(const Dashboard& d) const;
  json datasource_public(const json& ds, bool full) const;
  const Folder* folder_by_uid(const std::string& uid) const;
  std::string new_uid();
  void touch() { ++generation_; }
  bool unique_titles() const;
  bool nested_folders() const { return options_.version >= GrafanaVersion::v11_0; }

  struct LoginAttempt {
    std::string username;  // lower-cased, as Grafana stores it
    std::chrono::system_clock::time_point at;
  };
  std::vector<LoginAttempt> login_attempts_;
  StoreOptions options_;
  std::string admin_login_, admin_password_;
  long next_id_ = 1, next_version_id_ = 1, next_ds_id_ = 1;
  std::uint64_t uid_counter_ = 0, generation_ = 0;
  std::map<std::string, Dashboard> dashboards_;  // by uid
  std::map<std::string, Folder> folders_;        // by uid
  std::map<std::string, json> datasources_;      // by uid, stored with secureJsonData stripped
};

std::string slugify(const std::string& title);

}  // namespace stackd::fakes::grafana
