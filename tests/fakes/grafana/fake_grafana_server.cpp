#include "tests/fakes/grafana/fake_grafana_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include <fstream>
#include <iostream>

namespace stackd::fakes::grafana {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr const char* kStateFile = "fake-grafana.json";

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

Query parse_query(std::string_view qs) {
  Query q;
  while (!qs.empty()) {
    auto amp = qs.find('&');
    auto part = qs.substr(0, amp);
    auto eq = part.find('=');
    if (!part.empty())
      q.emplace(percent_decode(part.substr(0, eq)), eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
  return q;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    parts.push_back(percent_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return parts;
}

std::string base64_decode(std::string_view in) {
  std::string out(3 * (in.size() / 4) + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock keeps the padding bytes as zeros.
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(out.size() >= pad ? out.size() - pad : 0);
  return out;
}

HttpReply json_reply(const Reply& r) { return {r.status, r.body.dump()}; }

}  // namespace

void load_state(Store& store, const std::filesystem::path& data_dir) {
  if (data_dir.empty()) return;
  std::ifstream in(data_dir / kStateFile);
  if (!in) return;
  auto j = json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("corrupt state file " + (data_dir / kStateFile).string());
  store.load_json(j);
}

Server::Server(net::io_context& io, Store& store, ServerOptions options)
    : io_(io), store_(store), options_(std::move(options)), acceptor_(io), persist_timer_(io) {
  auto addr = net::ip::make_address(options_.address.empty() ? "0.0.0.0" : options_.address);
  tcp::endpoint ep(addr, options_.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  persisted_generation_ = store_.generation();
}

void Server::start() { net::co_spawn(io_, accept_loop(), net::detached); }

void Server::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  persist_timer_.cancel();
  persist();
}

void Server::persist() {
  if (options_.data_dir.empty() || store_.generation() == persisted_generation_) return;
  std::filesystem::create_directories(options_.data_dir);
  auto tmp = options_.data_dir / (std::string(kStateFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << store_.to_json().dump();
  }
  std::filesystem::rename(tmp, options_.data_dir / kStateFile);  // atomic: a crash leaves the old state
  persisted_generation_ = store_.generation();
}

// Writing the whole state after every request would make bulk syncs quadratic;
// batch the changes of the next 200 ms into one write.
void Server::schedule_persist() {
  if (options_.data_dir.empty() || persist_pending_ || store_.generation() == persisted_generation_) return;
  persist_pending_ = true;
  persist_timer_.expires_after(std::chrono::milliseconds(200));
  persist_timer_.async_wait([this](boost::system::error_code ec) {
    persist_pending_ = false;
    if (!ec) persist();
  });
}

net::awaitable<void> Server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) co_return;  // acceptor closed: shutting down
    net::co_spawn(io_, session(std::move(socket)), net::detached);
  }
}

net::awaitable<void> Server::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(std::chrono::seconds(60));
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_body);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (ec == bhttp::error::body_limit) {
      bhttp::response<bhttp::string_body> res{bhttp::status::payload_too_large, 11};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = R"({"message":"request body too large"})";
      res.prepare_payload();
      co_await bhttp::async_write(stream, res, use_tuple);
      break;
    }
    if (ec) break;
    auto req = parser.release();
    if (options_.write_delay.count() > 0 && req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      net::steady_timer delay(io_, options_.write_delay);
      co_await delay.async_wait(use_tuple);
    }
    HttpReply reply = handle(std::string(req.method_string()), std::string(req.target()),
                             std::string(req[bhttp::field::authorization]), req.body());
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), req.version()};
    res.set(bhttp::field::server, "stackd-fake-grafana");
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(reply.body);
    res.prepare_payload();
    schedule_persist();
    auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

HttpReply Server::handle(const std::string& method, const std::string& target, const std::string& authorization,
                         const std::string& body_text) {
  auto qpos = target.find('?');
  std::string path = target.substr(0, qpos);
  Query query = qpos == std::string::npos ? Query{} : parse_query(std::string_view(target).substr(qpos + 1));
  auto p = split_path(path);
  auto is = [&](std::initializer_list<const char*> want) {
    if (p.size() != want.size()) return false;
    std::size_t i = 0;
    for (const char* w : want) {
      if (std::string(w) != "*" && p[i] != w) return false;
      ++i;
    }
    return true;
  };

  if (method == "GET" && path == "/healthz") return {200, "Ok"};
  if (method == "GET" && is({"api", "health"}))
    return {200, json({{"commit", "fake"}, {"database", "ok"}, {"version", version_string(store_.options().version)}})
                     .dump()};
  // Fake-only, for tests: the login_attempt table (no Grafana equivalent).
  if (method == "GET" && is({"fake", "login-attempts"}))
    return {200, json({{"total", store_.failed_logins_total()},
                       {"recentForAdmin", store_.recent_failed_logins(store_.admin_login())}})
                     .dump()};

  // Everything else needs credentials.
  std::string user;
  if (authorization.rfind("Basic ", 0) == 0) {
    // GF_AUTH_BASIC_ENABLED=false: no client takes the header, so the request
    // is not signed in (pkg/services/authn/authnimpl: errCantAuthenticateReq).
    if (!options_.basic_auth_enabled)
      return {401, R"({"message":"Unauthorized","messageId":"auth.unauthorized","statusCode":401})"};
    auto decoded = base64_decode(std::string_view(authorization).substr(6));
    auto colon = decoded.find(':');
    if (colon == std::string::npos) return {401, R"({"message":"Invalid Basic Auth Header","messageId":"basic-auth.invalid-header","statusCode":401})"};
    switch (store_.authenticate_password(decoded.substr(0, colon), decoded.substr(colon + 1))) {
      case PasswordCheck::ok: break;
      case PasswordCheck::wrong:
        return {401, R"({"message":"Invalid username or password","messageId":"password-auth.failed","statusCode":401})"};
      case PasswordCheck::blocked:  // pkg/services/authn/clients/password.go errLoginAttemptBlocked
        return {401, R"({"message":"Invalid username or password","messageId":"login-attempt.blocked","statusCode":401})"};
    }
    user = store_.admin_login();
  } else if (authorization.rfind("Bearer ", 0) == 0) {
    if (options_.api_token.empty() || authorization.substr(7) != options_.api_token)
      return {401, R"({"message":"Invalid API key","messageId":"api-key.invalid","statusCode":401})"};
    user = "sa-stackd";
  } else {
    return {401, R"({"message":"Unauthorized","messageId":"auth.unauthorized","statusCode":401})"};
  }

  json body;
  if (method == "POST" || method == "PUT") {
    body = json::parse(body_text, nullptr, false);
    if (body.is_discarded()) return {400, R"({"message":"bad request data"})"};
  }

  // Users
  if (method == "GET" && is({"api", "user"})) return json_reply(store_.current_user());
  if (method == "PUT" && is({"api", "user", "password"})) return json_reply(store_.change_own_password(body));
  if (method == "PUT" && is({"api", "admin", "users", "*", "password"}))
    return json_reply(store_.admin_set_password(p[3], body));
  // Dashboards
  if (method == "POST" && is({"api", "dashboards", "db"})) return json_reply(store_.save_dashboard(body, user));
  if (method == "GET" && is({"api", "dashboards", "uid", "*"})) return json_reply(store_.get_dashboard(p[3]));
  if (method == "DELETE" && is({"api", "dashboards", "uid", "*"})) return json_reply(store_.delete_dashboard(p[3]));
  if (method == "GET" && is({"api", "dashboards", "uid", "*", "versions"}))
    return json_reply(store_.dashboard_versions(p[3], query));
  if (method == "GET" && is({"api", "dashboards", "uid", "*", "versions", "*"}))
    return json_reply(store_.dashboard_version(p[3], p[5]));
  if (method == "GET" && is({"api", "search"})) return json_reply(store_.search(query));
  if (method == "POST" && is({"apis", "dashboard.grafana.app", "v2alpha1", "namespaces", "default", "dashboards"}))
    return json_reply(store_.create_v2_dashboard(body, user));
  // Folders
  if (method == "GET" && is({"api", "folders"})) return json_reply(store_.list_folders(query));
  if (method == "POST" && is({"api", "folders"})) return json_reply(store_.create_folder(body, user));
  if (method == "GET" && is({"api", "folders", "*"})) return json_reply(store_.get_folder(p[2]));
  if (method == "PUT" && is({"api", "folders", "*"})) return json_reply(store_.update_folder(p[2], body, user));
  if (method == "POST" && is({"api", "folders", "*", "move"})) return json_reply(store_.move_folder(p[2], body));
  if (method == "DELETE" && is({"api", "folders", "*"})) return json_reply(store_.delete_folder(p[2]));
  // Datasources
  if (method == "GET" && is({"api", "datasources"})) return json_reply(store_.list_datasources());
  if (method == "POST" && is({"api", "datasources"})) return json_reply(store_.create_datasource(body));
  if (method == "GET" && is({"api", "datasources", "uid", "*"})) return json_reply(store_.get_datasource_by_uid(p[3]));
  if (method == "PUT" && is({"api", "datasources", "uid", "*"}))
    return json_reply(store_.update_datasource(p[3], body));
  if (method == "DELETE" && is({"api", "datasources", "uid", "*"}))
    return json_reply(store_.delete_datasource_by_uid(p[3]));
  if (method == "GET" && is({"api", "datasources", "name", "*"}))
    return json_reply(store_.get_datasource_by_name(p[3]));
  if (method == "DELETE" && is({"api", "datasources", "name", "*"}))
    return json_reply(store_.delete_datasource_by_name(p[3]));

  return {404, R"({"message":"Not found"})"};
}

}  // namespace stackd::fakes::grafana
