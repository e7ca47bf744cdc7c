#pragma once
// Docker Engine API client: the calls stackd needs, over HTTP/1.1 on the unix
// socket (or tcp://). The API version is negotiated once with /_ping and never
// pinned, so engines from 20.10 (API 1.41) to 29.x work.
//
// Errors: engine error statuses become DockerError with the engine's own
// message and the HTTP status (404, 409, ...), so callers can branch on
// not_found()/conflict(). Transport failures are http::TransportError.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "clients/http/http_client.hpp"

namespace stackd::docker {

namespace net = boost::asio;
using Labels = std::map<std::string, std::string>;

class DockerError : public std::runtime_error {
 public:
  DockerError(unsigned status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  unsigned status() const { return status_; }
  bool not_found() const { return status_ == 404; }
  bool conflict() const { return status_ == 409; }

 private:
  unsigned status_;
};

struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::string state;  // created|running|paused|restarting|removing|exited|dead
  Labels labels;
};

struct ContainerState {
  std::string status;
  bool running = false;
  int exit_code = 0;
  std::string started_at;
  std::string finished_at;
  std::string health;  // "" when no healthcheck, else starting|healthy|unhealthy
  std::string error;
};

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image_id;
  std::string image_ref;  // Config.Image
  Labels labels;
  ContainerState state;
  int restart_count = 0;
  nlohmann::json raw;  // the full inspect document
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  Labels labels;
};

struct VolumeInfo {
  std::string name;
  Labels labels;
};

struct ExecResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved, bounded
};

// One line of a pull's progress stream.
struct PullProgress {
  std::string id;      // layer id, may be empty
  std::string status;  // "Downloading", "Pull complete", ...
  std::string progress;
};

// One event from /events.
struct Event {
  std::string type;    // container|network|volume|image|...
  std::string action;  // create|start|die|destroy|...
  std::string id;
  Labels attributes;
  std::int64_t time_nano = 0;
};

class Client {
 public:
  Client(net::any_io_executor executor, http::Endpoint endpoint);
  ~Client();

  // DOCKER_HOST if set, else unix:///var/run/docker.sock.
  static http::Endpoint endpoint_from_env();

  // Pings the engine and settles the API version (min of ours and the
  // engine's). Called lazily by every other call; call it to fail early.
  net::awaitable<void> negotiate();
  const std::string& api_version() const { return api_version_; }
  std::string engine_version() const { return engine_version_; }

  // Containers
  net::awaitable<std::vector<ContainerSummary>> list_containers(const Labels& label_filter, bool all = true);
  net::awaitable<std::optional<ContainerInfo>> inspect_container(const std::string& id_or_name);
  // body: the create document (Config + HostConfig + NetworkingConfig). Returns the id.
  net::awaitable<std::string> create_container(const std::string& name, const nlohmann::json& body);
  net::awaitable<void> start_container(const std::string& id);             // 304 is fine
  net::awaitable<void> stop_container(const std::string& id, int timeout_s = 10);  // 304 is fine
  net::awaitable<void> remove_container(const std::string& id, bool force = true);  // 404 is fine
  net::awaitable<void> rename_container(const std::string& id, const std::string& new_name);
  // Extracts a tar archive into `path` (a directory) of a created or running container.
  net::awaitable<void> put_archive(const std::string& id, const std::string& path, const std::string& tar);
  // Reads `path` of a container as a tar archive (bounded); nullopt when missing.
  net::awaitable<std::optional<std::string>> get_archive(const std::string& id, const std::string& path);
  // Runs a command inside a running container and waits for it (bounded output).
  net::awaitable<ExecResult> exec(const std::string& id, const std::vector<std::string>& cmd,
                                  std::chrono::seconds timeout = std::chrono::seconds(60));

  // Images
  net::awaitable<bool> image_exists(const std::string& ref);
  // Pulls ref; progress is reported per line; a failure inside the 200 stream
  // throws DockerError naming the image.
  net::awaitable<void> pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress);

  // Networks and volumes
  net::awaitable<std::vector<NetworkInfo>> list_networks(const Labels& label_filter);
  net::awaitable<std::optional<NetworkInfo>> inspect_network(const std::string& name);
  net::awaitable<void> create_network(const std::string& name, const Labels& labels);
  net::awaitable<void> remove_network(const std::string& id);
  net::awaitable<std::vector<VolumeInfo>> list_volumes(const Labels& label_filter);
  net::awaitable<std::optional<VolumeInfo>> inspect_volume(const std::string& name);
  net::awaitable<void> create_volume(const std::string& name, const Labels& labels);
  net::awaitable<void> remove_volume(const std::string& name);

  // Streams events matching the label filter until the connection ends or
  // on_event returns false. Returns normally when the engine closes the
  // stream; throws on transport errors. Reconnecting is the caller's job.
  net::awaitable<void> events(const Labels& label_filter, std::function<bool(const Event&)> on_event);

 private:
  net::awaitable<http::Response> call(http::Verb verb, const std::string& path, const std::string& body = {},
                                      const std::string& content_type = "application/json",
                                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string versioned(const std::string& path) const;
  net::any_io_executor executor_;
  http::Endpoint endpoint_;
  std::unique_ptr<http::Client> http_;
  std::string api_version_;
  std::string engine_version_;
};

// Builds {"label":{"k=v":true,...}} for list/event filters.
std::string label_filter_json(const Labels& labels);

}  // namespace stackd::docker
