#pragma once
// Grafana's HTTP API (legacy /api routes, supported through Grafana 12 and
// still served by 13), for what stackd's reconciler needs: health, the
// signed-in user and password changes, dashboards by uid and their versions,
// search, folders, datasources by uid.
//
// Every non-2xx answer becomes a GrafanaError naming the call, the status and
// Grafana's own message; 404 on a lookup is an empty optional instead.
// Transport failures stay http::TransportError. Bodies are bounded by
// http::Limits (32 MiB by default: the largest community dashboards are ~1 MiB).
// Credentials are sent as Basic auth or a Bearer token and never logged.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "clients/grafana/grafana_error.hpp"
#include "clients/http/http_client.hpp"

namespace stackd::grafana {

namespace net = boost::asio;
using nlohmann::json;

struct Credentials {
  std::string user;
  std::string password;
  std::string token;  // service-account token; used instead of user/password when set
};

struct SearchQuery {
  std::string type;                 // "dash-db" | "dash-folder" | "" for both
  std::vector<std::string> tags;    // all must match
  std::vector<std::string> folder_uids;
  std::string query;
  int page_size = 1000;             // Grafana's default; its maximum is 5000
};

class Client {
 public:
  Client(net::any_io_executor executor, const std::string& base_url, Credentials credentials,
         http::Limits limits = default_limits());

  static http::Limits default_limits() {
    http::Limits l;
    l.max_body = 32 * 1024 * 1024;
    return l;
  }

  void set_credentials(Credentials credentials);
  // Requests sent through this client so far (for reports and benchmarks).
  int requests() const { return requests_; }
  const http::Endpoint& endpoint() const { return http_.endpoint(); }

  // GET /api/health (no auth). Throws GrafanaError on 503 (database failing).
  net::awaitable<json> health();
  // GET /api/user: who the credentials belong to. 401 throws.
  net::awaitable<json> current_user();
  // PUT /api/user/password: the signed-in user changes their own password.
  net::awaitable<void> change_own_password(const std::string& old_password, const std::string& new_password);
  // PUT /api/admin/users/:id/password (server admin only).
  net::awaitable<void> set_user_password(long id, const std::string& password);

  // GET /api/dashboards/uid/:uid -> {"dashboard":..., "meta":...}, nullopt on 404.
  net::awaitable<std::optional<json>> get_dashboard(const std::string& uid);
  // POST /api/dashboards/db with the full body ({dashboard, folderUid, message, overwrite}).
  net::awaitable<json> save_dashboard(const json& body);
  // DELETE /api/dashboards/uid/:uid; false when it was already gone (404).
  net::awaitable<bool> delete_dashboard(const std::string& uid);
  // GET /api/dashboards/uid/:uid/versions, newest first, as an array whatever
  // the server's shape: a bare array up to Grafana 11.4, {"versions": [...],
  // "continueToken": ...} from 11.6. The list says "Initial save" for a first
  // version (parentVersion 0) whatever message was saved with it.
  net::awaitable<json> dashboard_versions(const std::string& uid, int limit);
  // GET /api/dashboards/uid/:uid/versions/:version: one version with the
  // message it was saved with.
  net::awaitable<json> dashboard_version(const std::string& uid, long version);

  // GET /api/search, all pages.
  net::awaitable<json> search(const SearchQuery& q);

  // GET /api/folders, all pages: with nested folders (Grafana 11+) the
  // children of parent_uid only, the root's by default.
  net::awaitable<json> folders(const std::string& parent_uid = "");
  net::awaitable<std::optional<json>> get_folder(const std::string& uid);
  // POST /api/folders. 409 when the uid (or, before 11.3, the title) exists.
  net::awaitable<json> create_folder(const std::string& uid, const std::string& title);

  // GET /api/datasources (not paginated by Grafana).
  net::awaitable<json> datasources();
  net::awaitable<std::optional<json>> get_datasource(const std::string& uid);
  // POST /api/datasources. 409 when the name or the uid exists.
  net::awaitable<json> create_datasource(const json& body);
  // PUT /api/datasources/uid/:uid, a full replacement. 403 when read-only (provisioned).
  net::awaitable<json> update_datasource(const std::string& uid, const json& body);
  net::awaitable<bool> delete_datasource(const std::string& uid);

 private:
  net::awaitable<http::Response> call(http::Verb verb, std::string target, const json* body, bool auth = true);
  net::awaitable<json> call_json(http::Verb verb, std::string target, const json* body);
  net::awaitable<std::optional<json>> get_optional(std::string target);

  http::Client http_;
  std::string auth_header_;
  int requests_ = 0;
};

// "Grafana <VERB> <target>: HTTP <status> (<status word>): <message>".
GrafanaError make_error(http::Verb verb, const std::string& target, const http::Response& response);

}  // namespace stackd::grafana
