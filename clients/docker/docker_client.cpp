#include "clients/docker/docker_client.hpp"

#include <algorithm>
#include "clients/docker/event_decoder.hpp"
#include "clients/docker/line_splitter.hpp"
#include "common/bounded_json.hpp"

#include "clients/docker/registry_auth.hpp"
#include "clients/docker/socket_access.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace stackd::docker {

namespace {

// The newest API this client was written against; older engines are spoken to
// in their own version (negotiation takes the minimum).
constexpr const char* kClientMaxApi = "1.45";
constexpr const char* kFallbackApi = "1.24";
// GET /info is read field by field, tolerant of any version, so it is asked
// at up to API 1.50: the first that lists the devices the engine discovered
// (DiscoveredDevices: NVIDIA CDI devices, for spec.gpu.vendor: auto).
constexpr const char* kInfoMaxApi = "1.50";
// Output kept from an exec (promtool messages are short; more is noise).
constexpr std::size_t kMaxExecOutput = 1024 * 1024;
// One NDJSON line of a stream (pull progress, events).
constexpr std::size_t kMaxStreamLine = 1024 * 1024;

bool version_less(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& v) {
    int major = 0, minor = 0;
    std::sscanf(v.c_str(), "%d.%d", &major, &minor);
    return std::pair{major, minor};
  };
  return parse(a) < parse(b);
}

std::string engine_message(const http::Response& r) {
  auto j = stackd::parse_json_or_discarded(r.body);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
  auto body = r.body.substr(0, 300);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body.empty() ? "HTTP " + std::to_string(r.status) : body;
}

Labels labels_of(const nlohmann::json& j) {
  Labels out;
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

NetworkInfo network_of(const nlohmann::json& n) {
  return NetworkInfo{str(n, "Id"), str(n, "Name"), str(n, "Driver"), labels_of(n.value("Labels", nlohmann::json::object()))};
}

}  // namespace

namespace {

// Seconds since the epoch of an RFC 3339 time as Go writes it
// ("2024-05-01T10:00:00.123456789Z", or with a "+02:00" offset).
std::optional<std::int64_t> parse_rfc3339_seconds(const std::string& t) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t pos = static_cast<std::size_t>(consumed);
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos;
  }
  std::int64_t offset = 0;
  if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int h = 0, m = 0;
    if (std::sscanf(t.c_str() + pos + 1, "%2d:%2d", &h, &m) != 2) return std::nullopt;
    offset = (t[pos] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  } else if (pos >= t.size() || t[pos] != 'Z') {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

}  // namespace

PathStat parse_path_stat(std::string_view header) {
  constexpr std::size_t kMaxHeader = 16 * 1024;  // a stat is a few hundred bytes
  auto bad = [](const std::string& why) { return DockerError(500, "malformed X-Docker-Container-Path-Stat: " + why); };
  if (header.empty() || header.size() > kMaxHeader || header.size() % 4 != 0) throw bad("length");
  std::string raw(header.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                          reinterpret_cast<const unsigned char*>(header.data()), static_cast<int>(header.size()));
  if (n < 0) throw bad("not base64");
  std::size_t padding = 0;
  for (auto it = header.rbegin(); it != header.rend() && *it == '='; ++it) ++padding;
  raw.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(padding, static_cast<std::size_t>(n)));
  auto j = stackd::parse_json_or_discarded(raw);
  if (!j.is_object()) throw bad("not a JSON object");
  PathStat st;
  st.name = str(j, "name");
  st.link_target = str(j, "linkTarget");
  if (!j.contains("size") || !j["size"].is_number_integer()) throw bad("no size");
  st.size = j["size"].get<std::int64_t>();
  if (!j.contains("mode") || !j["mode"].is_number_unsigned()) throw bad("no mode");
  st.mode = static_cast<std::uint32_t>(j["mode"].get<std::uint64_t>());
  auto mtime = parse_rfc3339_seconds(str(j, "mtime"));
  if (!mtime) throw bad("mtime");
  st.mtime = *mtime;
  return st;
}

std::string label_filter_json(const Labels& labels) {
  nlohmann::json f = nlohmann::json::object();
  nlohmann::json l = nlohmann::json::object();
  for (const auto& [k, v] : labels) l[v.empty() ? k : k + "=" + v] = true;
  if (!labels.empty()) f["label"] = l;
  return f.dump();
}

Client::Client(net::any_io_executor executor, http::Endpoint endpoint)
    : executor_(executor), endpoint_(endpoint), http_(std::make_unique<http::Client>(executor, endpoint)) {}

Client::~Client() = default;

std::string unreachable_message(const http::Endpoint& endpoint, const std::string& transport_error) {
  // "cannot connect for GET unix:///var/run/docker.sock/_ping: No such file or directory" -> the reason
  auto reason = transport_error.substr(transport_error.rfind(": ") == std::string::npos ? 0 : transport_error.rfind(": ") + 2);
  const char* env = std::getenv("DOCKER_HOST");
  const bool from_env = env && *env && http::Endpoint::parse(env).describe() == endpoint.describe();
  const bool default_socket = !(env && *env) && endpoint.describe() == "unix://" + std::string(kDefaultSocket);
  std::string where = endpoint.describe() + (from_env ? " (DOCKER_HOST)" : default_socket ? " (the default socket; DOCKER_HOST names another)" : "");
  return "cannot reach the Docker engine at " + where + ": " + reason + ". Is the Docker daemon running?";
}

http::Endpoint Client::endpoint_from_env() {
  const char* host = std::getenv("DOCKER_HOST");
  return http::Endpoint::parse(host && *host ? host : "unix://" + std::string(kDefaultSocket));
}

net::awaitable<void> Client::negotiate() {
  if (!api_version_.empty()) co_return;
  http::Request req{.method = http::Verb::get, .target = "/_ping", .timeout = std::chrono::seconds(10)};
  http::Response r;
  std::optional<std::string> hint;
  try {
    r = co_await http_->send(req);
  } catch (const http::TransportError& e) {
    hint = reach_problem(e.what());
  }
  if (hint) throw EngineUnreachable(*hint);
  if (r.status != 200 && r.status != 500)
    throw DockerError(r.status, "Docker engine at " + endpoint_.describe() + " answered /_ping with HTTP " +
                                    std::to_string(r.status));
  std::string server = r.header("API-Version");
  if (server.empty()) server = kFallbackApi;
  api_version_ = version_less(server, kClientMaxApi) ? server : kClientMaxApi;
  info_api_version_ = version_less(server, kInfoMaxApi) ? server : kInfoMaxApi;
  engine_version_ = r.header("Server");
  spdlog::debug("docker: engine {} speaks API {}, using {}", engine_version_, server, api_version_);
}

std::string demux_log_stream(std::string_view raw) {
  std::string out;
  std::size_t at = 0;
  while (at + 8 <= raw.size()) {
    const auto stream = static_cast<unsigned char>(raw[at]);
    if (stream > 2 || raw[at + 1] != 0 || raw[at + 2] != 0 || raw[at + 3] != 0) return std::string(raw);
    const std::size_t size = (std::size_t(static_cast<unsigned char>(raw[at + 4])) << 24) |
                             (std::size_t(static_cast<unsigned char>(raw[at + 5])) << 16) |
                             (std::size_t(static_cast<unsigned char>(raw[at + 6])) << 8) |
                             std::size_t(static_cast<unsigned char>(raw[at + 7]));
    if (at + 8 + size > raw.size()) return std::string(raw);
    out.append(raw.substr(at + 8, size));
    at += 8 + size;
  }
  return at == raw.size() ? out : std::string(raw);
}

EngineInfo engine_info_from_json(const nlohmann::json& j) {
  EngineInfo out;
  if (!j.is_object()) return out;
  auto text = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>().substr(0, 253) : std::string();
  };
  out.name = text("Name");
  out.server_version = text("ServerVersion");
  if (j.contains("Runtimes") && j["Runtimes"].is_object())
    for (const auto& [name, _] : j["Runtimes"].items())
      if (out.runtimes.size() < 64) out.runtimes.push_back(name.substr(0, 128));
  if (j.contains("DiscoveredDevices") && j["DiscoveredDevices"].is_array())
    for (const auto& d : j["DiscoveredDevices"])
      if (d.is_object() && d.contains("ID") && d["ID"].is_string() && out.cdi_devices.size() < 256)
        out.cdi_devices.push_back(d["ID"].get<std::string>().substr(0, 256));
  return out;
}

std::optional<std::string> devices_refusal(std::string_view message) {
  for (std::string_view phrase : {"could not select device driver", "unresolvable CDI devices"}) {
    auto at = message.find(phrase);
    if (at == std::string_view::npos) continue;
    auto refusal = message.substr(at, 512);
    while (!refusal.empty() && (refusal.back() == '\n' || refusal.back() == '\r')) refusal.remove_suffix(1);
    return std::string(refusal);
  }
  return std::nullopt;
}

std::string Client::reach_problem(const std::string& transport_error) const {
  // No permission on the socket: say how to get it. Else the engine is not
  // there: say where stackd looked and what to check, in one line.
  std::optional<std::string> hint;
  if (endpoint_.kind == http::Endpoint::Kind::Unix) hint = socket_permission_hint(endpoint_.socket_path);
  return hint ? *hint : unreachable_message(endpoint_, transport_error);
}

std::string Client::versioned(const std::string& path) const { return "/v" + api_version_ + path; }

net::awaitable<http::Response> Client::call(http::Verb verb, const std::string& path, const std::string& body,
                                            const std::string& content_type, std::chrono::milliseconds timeout,
                                            bool at_info_version) {
  co_await negotiate();
  http::Request req{.method = verb,
                    .target = at_info_version ? "/v" + info_api_version_ + path : versioned(path),
                    .body = body,
                    .content_type = content_type,
                    .timeout = timeout};
  std::optional<std::string> unreachable;
  try {
    co_return co_await http_->send(req);
  } catch (const http::TransportError& e) {
    // The engine went away after the first call: the same one line.
    if (std::string_view(e.what()).rfind("cannot connect", 0) != 0) throw;
    unreachable = reach_problem(e.what());
  }
  throw EngineUnreachable(*unreachable);
}

namespace {
[[noreturn]] void fail(const http::Response& r, const std::string& what) {
  throw DockerError(r.status, what + ": " + engine_message(r));
}
}  // namespace

net::awaitable<std::vector<ContainerSummary>> Client::list_containers(const Labels& label_filter, bool all) {
  auto path = std::string("/containers/json?all=") + (all ? "1" : "0") +
              "&filters=" + http::url_encode(label_filter_json(label_filter));
  auto r = co_await call(http::Verb::get, path);
  if (r.status != 200) fail(r, "list containers");
  std::vector<ContainerSummary> out;
  auto j = stackd::parse_json_or_discarded(r.body);
  if (!j.is_array()) throw DockerError(r.status, "list containers: engine returned malformed JSON");
  for (const auto& c : j) {
    ContainerSummary s;
    s.id = str(c, "Id");
    if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty() && c["Names"][0].is_string()) {
      s.name = c["Names"][0].get<std::string>();
      if (!s.name.empty() && s.name[0] == '/') s.name.erase(0, 1);
    }
    s.image = str(c, "Image");
    s.state = str(c, "State");
    s.labels = labels_of(c.value("Labels", nlohmann::json::object()));
    out.push_back(std::move(s));
  }
  co_return out;
}

net::awaitable<std::optional<ContainerInfo>> Client::inspect_container(const std::string& id) {
  auto r = co_await call(http::Verb::get, "/containers/" + http::url_encode(id) + "/json");
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) fail(r, "inspect container " + id);
  auto j = stackd::parse_json_or_discarded(r.body);
  if (!j.is_object()) throw DockerError(r.status, "inspect container " + id + ": malformed JSON");
  ContainerInfo info;
  info.id = str(j, "Id");
  info.name = str(j, "Name");
  if (!info.name.empty() && info.name[0] == '/') info.name.erase(0, 1);
  info.image_id = str(j, "Image");
  info.restart_count = j.value("RestartCount", 0);
  const auto& config = j.value("Config", nlohmann::json::object());
  info.image_ref = str(config, "Image");
  info.labels = labels_of(config.value("Labels", nlohmann::json::object()));
  const auto& st = j.value("State", nlohmann::json::object());
  info.state.status = str(st, "Status");
  info.state.running = st.value("Running", false);
  info.state.exit_code = st.value("ExitCode", 0);
  info.state.started_at = str(st, "StartedAt");
  info.state.finished_at = str(st, "FinishedAt");
  info.state.error = str(st, "Error");
  if (st.contains("Health") && st["Health"].is_object()) info.state.health = str(st["Health"], "Status");
  info.raw = std::move(j);
  co_return info;
}

net::awaitable<std::string> Client::create_container(const std::string& name, const nlohmann::json& body) {
  auto r = co_await call(http::Verb::post, "/containers/create?name=" + http::url_encode(name), body.dump());
  if (r.status != 201) fail(r, "create container " + name);
  auto j = stackd::parse_json_or_discarded(r.body);
  auto id = str(j, "Id");
  if (id.empty()) throw DockerError(r.status, "create container " + name + ": no Id in response");
  co_return id;
}

net::awaitable<void> Client::start_container(const std::string& id) {
  auto r = co_await call(http::Verb::post, "/containers/" + http::url_encode(id) + "/start");
  if (r.status != 204 && r.status != 304) fail(r, "start container " + id);
}

net::awaitable<void> Client::stop_container(const std::string& id, int timeout_s) {
  auto r = co_await call(http::Verb::post, "/containers/" + http::url_encode(id) + "/stop?t=" + std::to_string(timeout_s),
                         {}, "application/json", std::chrono::seconds(timeout_s + 30));
  if (r.status != 204 && r.status != 304 && r.status != 404) fail(r, "stop container " + id);
}

net::awaitable<void> Client::remove_container(const std::string& id, bool force) {
  auto r = co_await call(http::Verb::delete_, "/containers/" + http::url_encode(id) + (force ? "?force=1" : ""));
  if (r.status != 204 && r.status != 404) fail(r, "remove container " + id);
}

net::awaitable<void> Client::rename_container(const std::string& id, const std::string& new_name) {
  auto r = co_await call(http::Verb::post,
                         "/containers/" + http::url_encode(id) + "/rename?name=" + http::url_encode(new_name));
  if (r.status != 204) fail(r, "rename container " + id + " to " + new_name);
}

net::awaitable<void> Client::put_archive(const std::string& id, const std::string& path, const std::string& tar) {
  auto r = co_await call(http::Verb::put,
                         "/containers/" + http::url_encode(id) + "/archive?path=" + http::url_encode(path), tar,
                         "application/x-tar");
  if (r.status != 200) fail(r, "copy files into container " + id + " at " + path);
}

net::awaitable<std::optional<std::string>> Client::get_archive(const std::string& id, const std::string& path) {
  auto r = co_await call(http::Verb::get,
                         "/containers/" + http::url_encode(id) + "/archive?path=" + http::url_encode(path));
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) fail(r, "read " + path + " from container " + id);
  co_return std::move(r.body);
}

net::awaitable<std::optional<PathStat>> Client::stat_path(const std::string& id, const std::string& path) {
  auto r = co_await call(http::Verb::head,
                         "/containers/" + http::url_encode(id) + "/archive?path=" + http::url_encode(path));
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) fail(r, "stat " + path + " in container " + id);
  co_return parse_path_stat(r.header("X-Docker-Container-Path-Stat"));
}

net::awaitable<ExecResult> Client::exec(const std::string& id, const std::vector<std::string>& cmd,
                                        std::chrono::seconds timeout) {
  nlohmann::json create = {{"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}, {"Cmd", cmd}};
  auto r = co_await call(http::Verb::post, "/containers/" + http::url_encode(id) + "/exec", create.dump());
  if (r.status != 201) fail(r, "exec in container " + id);
  auto exec_id = str(stackd::parse_json_or_discarded(r.body), "Id");
  if (exec_id.empty()) throw DockerError(r.status, "exec in container " + id + ": no Id in response");

  // exec start hijacks the connection: after the header block, the body is
  // the multiplexed stdout/stderr stream until the engine closes it. Each
  // frame: [stream, 0, 0, 0, size(4, big endian)] then payload.
  std::string raw;
  bool truncated = false;
  nlohmann::json start = {{"Detach", false}, {"Tty", false}};
  http::Request req{.method = http::Verb::post, .target = versioned("/exec/" + exec_id + "/start"),
                    .body = start.dump(), .content_type = "application/json",
                    .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout)};
  auto resp = co_await http_->stream(
      req,
      [&](std::string_view piece) {
        if (raw.size() + piece.size() > kMaxExecOutput + 8) {
          truncated = true;
          return false;
        }
        raw.append(piece);
        return true;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (resp.status != 200 && resp.status != 101) fail(resp, "exec start in container " + id);

  ExecResult result;
  std::size_t pos = 0;
  while (pos + 8 <= raw.size()) {
    std::size_t size = (std::size_t(static_cast<unsigned char>(raw[pos + 4])) << 24) |
                       (std::size_t(static_cast<unsigned char>(raw[pos + 5])) << 16) |
                       (std::size_t(static_cast<unsigned char>(raw[pos + 6])) << 8) |
                       std::size_t(static_cast<unsigned char>(raw[pos + 7]));
    pos += 8;
    result.output.append(raw, pos, std::min(size, raw.size() - pos));
    pos += size;
  }
  if (truncated) result.output += "\n[output truncated]";

  auto ir = co_await call(http::Verb::get, "/exec/" + exec_id + "/json");
  if (ir.status != 200) fail(ir, "inspect exec in container " + id);
  auto ij = stackd::parse_json_or_discarded(ir.body);
  result.exit_code = ij.is_object() && ij["ExitCode"].is_number_integer() ? ij["ExitCode"].get<int>() : -1;
  co_return result;
}

net::awaitable<bool> Client::image_exists(const std::string& ref) {
  auto r = co_await call(http::Verb::get, "/images/" + ref + "/json");
  if (r.status == 404) co_return false;
  if (r.status != 200) fail(r, "inspect image " + ref);
  co_return true;
}

net::awaitable<void> Client::pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress) {
  co_await negotiate();
  std::string image = ref, tag = "latest";
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  auto at = ref.find('@');
  if (at != std::string::npos) {
    image = ref.substr(0, at);
    tag = ref.substr(at + 1);
  } else if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    image = ref.substr(0, colon);
    tag = ref.substr(colon + 1);
  }
  http::Request req{.method = http::Verb::post,
                    .target = versioned("/images/create?fromImage=" + http::url_encode(image) +
                                        "&tag=" + http::url_encode(tag)),
                    .timeout = std::chrono::seconds(30)};
  // Credentials from the Docker CLI's config, read for each pull (a `docker
  // login` needs no restart); only in this request's header, never logged.
  std::optional<RegistryCredentials> credentials;
  try {
    credentials = find_credentials(RegistryAuthConfig::from_env(), registry_of(image));
  } catch (const RegistryAuthError& e) {
    throw DockerError(400, "pull image " + ref + ": registry credentials: " + e.what());
  }
  if (credentials) req.headers.emplace_back("X-Registry-Auth", registry_auth_header(*credentials));
  std::string error;
  bool finished = false;  // the engine's closing "Status: ..." line arrived
  LineSplitter lines(kMaxStreamLine);
  auto resp = co_await http_->stream(
      req,
      [&](std::string_view piece) {
        return lines.feed(piece, [&](std::string_view line) {
          auto j = stackd::parse_json_or_discarded(line);
          if (!j.is_object()) return true;
          // A pull fails inside the 200 stream: check every line.
          if (j.contains("errorDetail") && j["errorDetail"].is_object()) {
            error = str(j["errorDetail"], "message");
            return false;
          }
          if (j.contains("error")) {
            error = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
            return false;
          }
          auto status = str(j, "status");
          if (str(j, "id").empty() && status.starts_with("Status: ")) finished = true;
          if (on_progress) on_progress(PullProgress{str(j, "id"), status, str(j, "progress")});
          return true;
        });
      },
      std::chrono::minutes(5));
  if (resp.status != 200) fail(resp, "pull image " + ref);
  if (!error.empty()) throw DockerError(500, "pull image " + ref + ": " + error);
  if (!finished) throw DockerError(500, "pull image " + ref + ": the engine's progress stream ended before the pull finished");
}

net::awaitable<std::vector<NetworkInfo>> Client::list_networks(const Labels& label_filter) {
  auto r = co_await call(http::Verb::get, "/networks?filters=" + http::url_encode(label_filter_json(label_filter)));
  if (r.status != 200) fail(r, "list networks");
  std::vector<NetworkInfo> out;
  auto j = stackd::parse_json_or_discarded(r.body);
  if (!j.is_array()) throw DockerError(r.status, "list networks: malformed JSON");
  for (const auto& n : j) out.push_back(network_of(n));
  co_return out;
}

net::awaitable<std::optional<NetworkInfo>> Client::inspect_network(const std::string& name) {
  auto r = co_await call(http::Verb::get, "/networks/" + http::url_encode(name));
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) fail(r, "inspect network " + name);
  auto n = stackd::parse_json_or_discarded(r.body);
  if (!n.is_object()) throw DockerError(r.status, "inspect network " + name + ": malformed JSON");
  // Inspect matches id prefixes too; only an exact name is the network we want.
  if (str(n, "Name") != name) co_return std::nullopt;
  co_return network_of(n);
}

net::awaitable<void> Client::create_network(const std::string& name, const Labels& labels) {
  nlohmann::json body = {{"Name", name}, {"Driver", "bridge"}, {"CheckDuplicate", true}, {"Labels", labels}};
  auto r = co_await call(http::Verb::post, "/networks/create", body.dump());
  if (r.status != 201) fail(r, "create network " + name);
}

net::awaitable<void> Client::remove_network(const std::string& id) {
  auto r = co_await call(http::Verb::delete_, "/networks/" + http::url_encode(id));
  if (r.status != 204 && r.status != 404) fail(r, "remove network " + id);
}

net::awaitable<std::vector<VolumeInfo>> Client::list_volumes(const Labels& label_filter) {
  auto r = co_await call(http::Verb::get, "/volumes?filters=" + http::url_encode(label_filter_json(label_filter)));
  if (r.status != 200) fail(r, "list volumes");
  std::vector<VolumeInfo> out;
  auto j = stackd::parse_json_or_discarded(r.body);
  if (!j.is_object() || !j["Volumes"].is_array()) co_return out;  // "Volumes": null when none
  for (const auto& v : j["Volumes"])
    out.push_back(VolumeInfo{str(v, "Name"), labels_of(v.value("Labels", nlohmann::json::object()))});
  co_return out;
}

net::awaitable<EngineInfo> Client::info() {
  auto r = co_await call(http::Verb::get, "/info", {}, "application/json", std::chrono::seconds(60), true);
  if (r.status != 200) fail(r, "info");
  co_return engine_info_from_json(stackd::parse_json_or_discarded(r.body));
}

net::awaitable<int> Client::wait_container(const std::string& id, std::chrono::seconds timeout) {
  auto r = co_await call(http::Verb::post, "/containers/" + http::url_encode(id) + "/wait?condition=not-running", {},
                         "application/json", timeout);
  if (r.status != 200) fail(r, "wait for container " + id);
  auto j = stackd::parse_json_or_discarded(r.body);
  if (!j.is_object() || !j["StatusCode"].is_number_integer())
    throw DockerError(r.status, "wait for container " + id + ": no StatusCode in response");
  co_return j["StatusCode"].get<int>();
}

net::awaitable<std::string> Client::logs(const std::string& id, int tail) {
  auto r = co_await call(http::Verb::get, "/containers/" + http::url_encode(id) +
                                              "/logs?stdout=1&stderr=1&tail=" + std::to_string(std::clamp(tail, 1, 200)));
  if (r.status == 404) co_return std::string();
  if (r.status != 200) fail(r, "logs of " + id);
  co_return demux_log_stream(r.body);
}

net::awaitable<std::optional<VolumeInfo>> Client::inspect_volume(const std::string& name) {
  auto r = co_await call(http::Verb::get, "/volumes/" + http::url_encode(name));
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) fail(r, "inspect volume " + name);
  auto v = stackd::parse_json_or_discarded(r.body);
  if (!v.is_object()) throw DockerError(r.status, "inspect volume " + name + ": malformed JSON");
  co_return VolumeInfo{str(v, "Name"), labels_of(v.value("Labels", nlohmann::json::object()))};
}

net::awaitable<void> Client::create_volume(const std::string& name, const Labels& labels) {
  nlohmann::json body = {{"Name", name}, {"Labels", labels}};
  auto r = co_await call(http::Verb::post, "/volumes/create", body.dump());
  if (r.status != 201) fail(r, "create volume " + name);
}

net::awaitable<void> Client::remove_volume(const std::string& name) {
  auto r = co_await call(http::Verb::delete_, "/volumes/" + http::url_encode(name));
  if (r.status != 204 && r.status != 404) fail(r, "remove volume " + name);
}

net::awaitable<void> Client::events(const Labels& label_filter, std::function<bool(const Event&)> on_event,
                                    std::optional<std::chrono::system_clock::time_point> since) {
  co_await negotiate();
  std::string query = "/events?filters=" + http::url_encode(label_filter_json(label_filter));
  if (since) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since->time_since_epoch()).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(micros / 1000000),
                  static_cast<long long>(micros % 1000000));
    query += std::string("&since=") + buf;
  }
  http::Request req{.method = http::Verb::get,
                    .target = versioned(query),
                    .timeout = std::chrono::seconds(10)};
  EventStreamDecoder decoder;
  auto resp = co_await http_->stream(
      req, [&](std::string_view piece) { return decoder.feed(piece, on_event); },
      std::chrono::milliseconds(0));
  if (resp.status != 200) fail(resp, "events");
}

}  // namespace stackd::docker
