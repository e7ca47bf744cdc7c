#pragma once
// Docker Engine API client: the calls stackd needs, over HTTP/1.1 on the unix
// socket (or tcp://). The API version is negotiated once with /_ping and never
// pinned, so engines from 20.10 (API 1.41) to 29.x work.
//
// Errors: engine error statuses become DockerError with the engine's own
// message and the HTTP status (404, 409, ...), so callers can branch on
// not_found()/conflict(). Transport failures are http::TransportError.
#include <memory>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "clients/http/http_client.hpp"

namespace stackd::docker {

inline constexpr const char* kDefaultSocket = "/var/run/docker.sock";

// The engine cannot be talked to at all (down, a wrong DOCKER_HOST, no
// permission on its socket); the message says where stackd looked and what
// to do, in one line. Thrown by negotiate(), so by the first call of any
// verb or reconciler.
class EngineUnreachable : public http::TransportError {
 public:
  using http::TransportError::TransportError;
};

// The one line EngineUnreachable says for `endpoint` after `transport_error`.
std::string unreachable_message(const http::Endpoint& endpoint, const std::string& transport_error);

class Client final : public Api {
 public:
  Client(net::any_io_executor executor, http::Endpoint endpoint);
  ~Client();

  // DOCKER_HOST if set, else unix:///var/run/docker.sock.
  static http::Endpoint endpoint_from_env();

  // Pings the engine and settles the API version (min of ours and the
  // engine's). Called lazily by every other call; call it to fail early.
  net::awaitable<void> negotiate() override;
  net::awaitable<EngineInfo> info() override;
  net::awaitable<std::string> logs(const std::string& id, int tail) override;
  const std::string& api_version() const { return api_version_; }
  std::string engine_version() const { return engine_version_; }

  // Containers
  net::awaitable<std::vector<ContainerSummary>> list_containers(const Labels& label_filter, bool all = true) override;
  net::awaitable<std::optional<ContainerInfo>> inspect_container(const std::string& id_or_name) override;
  // body: the create document (Config + HostConfig + NetworkingConfig). Returns the id.
  net::awaitable<std::string> create_container(const std::string& name, const nlohmann::json& body) override;
  net::awaitable<void> start_container(const std::string& id) override;             // 304 is fine
  net::awaitable<void> stop_container(const std::string& id, int timeout_s = 10) override;  // 304 is fine
  net::awaitable<void> remove_container(const std::string& id, bool force = true) override;  // 404 is fine
  net::awaitable<void> rename_container(const std::string& id, const std::string& new_name) override;
  // Extracts a tar archive into `path` (a directory) of a created or running container.
  net::awaitable<void> put_archive(const std::string& id, const std::string& path, const std::string& tar) override;
  // Reads `path` of a container as a tar archive (bounded); nullopt when missing.
  net::awaitable<std::optional<std::string>> get_archive(const std::string& id, const std::string& path) override;
  net::awaitable<std::optional<PathStat>> stat_path(const std::string& id, const std::string& path) override;
  // Runs a command inside a running container and waits for it (bounded output).
  net::awaitable<ExecResult> exec(const std::string& id, const std::vector<std::string>& cmd,
                                  std::chrono::seconds timeout = std::chrono::seconds(60)) override;
  net::awaitable<int> wait_container(const std::string& id, std::chrono::seconds timeout) override;

  // Images
  net::awaitable<bool> image_exists(const std::string& ref) override;
  // Pulls ref; progress is reported per line; a failure inside the 200 stream
  // throws DockerError naming the image.
  net::awaitable<void> pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress) override;

  // Networks and volumes
  net::awaitable<std::vector<NetworkInfo>> list_networks(const Labels& label_filter) override;
  net::awaitable<std::optional<NetworkInfo>> inspect_network(const std::string& name) override;
  net::awaitable<void> create_network(const std::string& name, const Labels& labels) override;
  net::awaitable<void> remove_network(const std::string& id) override;
  net::awaitable<std::vector<VolumeInfo>> list_volumes(const Labels& label_filter) override;
  net::awaitable<std::optional<VolumeInfo>> inspect_volume(const std::string& name) override;
  net::awaitable<void> create_volume(const std::string& name, const Labels& labels) override;
  net::awaitable<void> remove_volume(const std::string& name) override;

  // Streams events matching the label filter until the connection ends or
  // on_event returns false. Returns normally when the engine closes the
  // stream; throws on transport errors. Reconnecting is the caller's job.
  net::awaitable<void> events(const Labels& label_filter, std::function<bool(const Event&)> on_event,
                              std::optional<std::chrono::system_clock::time_point> since = std::nullopt) override;

 private:
  net::awaitable<http::Response> call(http::Verb verb, const std::string& path, const std::string& body = {},
                                      const std::string& content_type = "application/json",
                                      std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                      bool at_info_version = false);
  std::string versioned(const std::string& path) const;
  // The EngineUnreachable message for a failure to connect.
  std::string reach_problem(const std::string& transport_error) const;
  net::any_io_executor executor_;
  http::Endpoint endpoint_;
  std::unique_ptr<http::Client> http_;
  std::string api_version_;
  std::string info_api_version_;  // GET /info's (kInfoMaxApi)
  std::string engine_version_;
};

// Decodes the X-Docker-Container-Path-Stat header (base64 of a JSON object:
// name, size, mode, mtime as RFC 3339, linkTarget). Throws DockerError on a
// malformed value.
PathStat parse_path_stat(std::string_view header);

// Builds {"label":{"k=v":true,...}} for list/event filters.
std::string label_filter_json(const Labels& labels);

}  // namespace stackd::docker
