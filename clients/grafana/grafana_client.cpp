#include "clients/grafana/grafana_client.hpp"

#include "common/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace stackd::grafana {

namespace {


std::string auth_value(const Credentials& c) {
  if (!c.token.empty()) return "Bearer " + c.token;
  if (c.user.empty()) return {};
  return "Basic " + base64_encode(c.user + ":" + c.password);
}

// Grafana errors carry {"message": ..., "status": ...}; some proxies answer
// with plain text. Keep the text short so a hostile body cannot flood logs.
void parse_error_body(const std::string& body, std::string& status_word, std::string& message, std::string& id) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("status"); it != j.end() && it->is_string()) status_word = it->get<std::string>().substr(0, 100);
    if (auto it = j.find("messageId"); it != j.end() && it->is_string()) id = it->get<std::string>().substr(0, 100);
    if (auto it = j.find("message"); it != j.end() && it->is_string()) message = it->get<std::string>().substr(0, 500);
    return;
  }
  message = body.substr(0, 200);
}

}  // namespace

GrafanaError make_error(http::Verb verb, const std::string& target, const http::Response& response) {
  std::string word, message, id;
  parse_error_body(response.body, word, message, id);
  std::string what = "Grafana " + std::string(boost::beast::http::to_string(verb)) + " " + target + ": HTTP " +
                     std::to_string(response.status);
  if (!word.empty()) what += " (" + word + ")";
  if (response.status == 401) what += ": credentials rejected";
  if (!message.empty()) what += ": " + message;
  return GrafanaError(std::move(what), response.status, std::move(word), std::move(message), std::move(id));
}

Client::Client(net::any_io_executor executor, const std::string& base_url, Credentials credentials,
               http::Limits limits)
    : http_(std::move(executor), http::Endpoint::parse(base_url), limits), auth_header_(auth_value(credentials)) {}

void Client::set_credentials(Credentials credentials) { auth_header_ = auth_value(credentials); }

net::awaitable<http::Response> Client::call(http::Verb verb, std::string target, const json* body, bool auth) {
  http::Request req;
  req.method = verb;
  req.target = std::move(target);
  req.headers.emplace_back("Accept", "application/json");
  if (auth && !auth_header_.empty()) req.headers.emplace_back("Authorization", auth_header_);
  if (body) {
    req.body = body->dump();
    req.content_type = "application/json";
  }
  ++requests_;
  co_return co_await http_.send(req);
}

net::awaitable<json> Client::call_json(http::Verb verb, std::string target, const json* body) {
  auto res = co_await call(verb, target, body);
  if (res.status < 200 || res.status >= 300) throw make_error(verb, target, res);
  if (res.body.empty()) co_return json::object();
  auto j = json::parse(res.body, nullptr, false);
  if (j.is_discarded()) {
    GrafanaError err("Grafana " + std::string(boost::beast::http::to_string(verb)) + " " + target +
                         ": answered HTTP " + std::to_string(res.status) + " with a body that is not JSON",
                     res.status, "", "");
    throw err;
  }
  co_return j;
}

net::awaitable<std::optional<json>> Client::get_optional(std::string target) {
  auto res = co_await call(http::Verb::get, target, nullptr);
  if (res.status == 404) co_return std::nullopt;
  if (res.status != 200) throw make_error(http::Verb::get, target, res);
  auto j = json::parse(res.body, nullptr, false);
  if (j.is_discarded()) {
    GrafanaError err("Grafana GET " + target + ": body is not JSON", res.status, "", "");
    throw err;
  }
  co_return j;
}

net::awaitable<json> Client::health() {
  const std::string target = "/api/health";
  auto res = co_await call(http::Verb::get, target, nullptr, false);
  if (res.status != 200) throw make_error(http::Verb::get, target, res);
  co_return json::parse(res.body, nullptr, false);
}

net::awaitable<json> Client::current_user() { co_return co_await call_json(http::Verb::get, "/api/user", nullptr); }

net::awaitable<void> Client::change_own_password(const std::string& old_password, const std::string& new_password) {
  json body = {{"oldPassword", old_password}, {"newPassword", new_password}, {"confirmNew", new_password}};
  co_await call_json(http::Verb::put, "/api/user/password", &body);
}

net::awaitable<void> Client::set_user_password(long id, const std::string& password) {
  json body = {{"password", password}};
  co_await call_json(http::Verb::put, "/api/admin/users/" + std::to_string(id) + "/password", &body);
}

net::awaitable<std::optional<json>> Client::get_dashboard(const std::string& uid) {
  co_return co_await get_optional("/api/dashboards/uid/" + http::url_encode(uid));
}

net::awaitable<json> Client::save_dashboard(const json& body) {
  co_return co_await call_json(http::Verb::post, "/api/dashboards/db", &body);
}

net::awaitable<bool> Client::delete_dashboard(const std::string& uid) {
  std::string target = "/api/dashboards/uid/" + http::url_encode(uid);
  auto res = co_await call(http::Verb::delete_, target, nullptr);
  if (res.status == 404) co_return false;
  if (res.status != 200) throw make_error(http::Verb::delete_, target, res);
  co_return true;
}

net::awaitable<json> Client::dashboard_versions(const std::string& uid, int limit) {
  auto j = co_await call_json(http::Verb::get,
                              "/api/dashboards/uid/" + http::url_encode(uid) + "/versions?limit=" +
                                  std::to_string(limit),
                              nullptr);
  if (j.is_object() && j.contains("versions")) co_return j["versions"];
  if (j.is_array()) co_return j;
  co_return json::array();
}

net::awaitable<json> Client::dashboard_version(const std::string& uid, long version) {
  co_return co_await call_json(
      http::Verb::get, "/api/dashboards/uid/" + http::url_encode(uid) + "/versions/" + std::to_string(version), nullptr);
}

net::awaitable<json> Client::search(const SearchQuery& q) {
  json all = json::array();
  const int page_size = std::clamp(q.page_size, 1, 5000);
  // Bounded: at most 1,000 pages (5 million hits at the maximum page size).
  for (int page = 1; page <= 1000; ++page) {
    std::string target = "/api/search?limit=" + std::to_string(page_size) + "&page=" + std::to_string(page);
    if (!q.type.empty()) target += "&type=" + http::url_encode(q.type);
    if (!q.query.empty()) target += "&query=" + http::url_encode(q.query);
    for (const auto& t : q.tags) target += "&tag=" + http::url_encode(t);
    for (const auto& f : q.folder_uids) target += "&folderUIDs=" + http::url_encode(f);
    auto hits = co_await call_json(http::Verb::get, target, nullptr);
    if (!hits.is_array()) break;
    for (auto& h : hits) all.push_back(std::move(h));
    if (static_cast<int>(hits.size()) < page_size) break;
  }
  co_return all;
}

net::awaitable<json> Client::folders(const std::string& parent_uid) {
  json all = json::array();
  const int page_size = 1000;
  for (int page = 1; page <= 1000; ++page) {
    std::string target = "/api/folders?limit=" + std::to_string(page_size) + "&page=" + std::to_string(page);
    if (!parent_uid.empty()) target += "&parentUid=" + http::url_encode(parent_uid);
    auto items = co_await call_json(http::Verb::get, target, nullptr);
    if (!items.is_array()) break;
    for (auto& f : items) all.push_back(std::move(f));
    if (static_cast<int>(items.size()) < page_size) break;
  }
  co_return all;
}

net::awaitable<std::optional<json>> Client::get_folder(const std::string& uid) {
  co_return co_await get_optional("/api/folders/" + http::url_encode(uid));
}

net::awaitable<json> Client::create_folder(const std::string& uid, const std::string& title) {
  json body = {{"title", title}};
  if (!uid.empty()) body["uid"] = uid;
  co_return co_await call_json(http::Verb::post, "/api/folders", &body);
}

net::awaitable<json> Client::datasources() { co_return co_await call_json(http::Verb::get, "/api/datasources", nullptr); }

net::awaitable<std::optional<json>> Client::get_datasource(const std::string& uid) {
  co_return co_await get_optional("/api/datasources/uid/" + http::url_encode(uid));
}

net::awaitable<json> Client::create_datasource(const json& body) {
  co_return co_await call_json(http::Verb::post, "/api/datasources", &body);
}

net::awaitable<json> Client::update_datasource(const std::string& uid, const json& body) {
  co_return co_await call_json(http::Verb::put, "/api/datasources/uid/" + http::url_encode(uid), &body);
}

net::awaitable<bool> Client::delete_datasource(const std::string& uid) {
  std::string target = "/api/datasources/uid/" + http::url_encode(uid);
  auto res = co_await call(http::Verb::delete_, target, nullptr);
  if (res.status == 404) co_return false;
  if (res.status != 200) throw make_error(http::Verb::delete_, target, res);
  co_return true;
}

}  // namespace stackd::grafana
