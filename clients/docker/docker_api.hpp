#pragma once
// The Docker Engine API as stackd uses it: the types and the calls, behind an
// interface. docker_client.hpp talks to a real engine; fake_engine.hpp is an
// in-memory engine for unit tests of the runtime and the reconcilers.
//
// Errors: engine error statuses become DockerError with the engine's own
// message and the HTTP status (404, 409, ...), so callers can branch on
// not_found()/conflict(). Transport failures are http::TransportError.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>


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

// What HEAD /containers/{id}/archive?path= reports about a path (the
// X-Docker-Container-Path-Stat header): enough to tell whether a file changed
// without downloading it.
struct PathStat {
  std::string name;
  std::int64_t size = 0;
  std::uint32_t mode = 0;  // Go's os.FileMode: permission bits plus type bits
  std::int64_t mtime = 0;  // seconds since the epoch
  std::string link_target;
  static constexpr std::uint32_t kModeDir = 1u << 31;
  bool is_dir() const { return (mode & kModeDir) != 0; }
  unsigned perm() const { return mode & 0777; }
};

struct ExecResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved, bounded
};

// What GET /info says of the engine that stackd uses.
struct EngineInfo {
  std::string name;  // the host's name ("Name"): a box's `host` label by default
  std::string server_version;
  std::vector<std::string> runtimes;  // "runc", "nvidia", ... ("Runtimes" keys)
  // Devices the engine discovered (API 1.50+ "DiscoveredDevices"), by ID:
  // "nvidia.com/gpu=0" for an NVIDIA card declared through CDI.
  std::vector<std::string> cdi_devices;
};

// A logs answer of a container without a TTY is a stream of frames (a byte
// for the stream, three zero bytes, a big-endian length, the payload): their
// payloads joined. Anything else (a TTY's raw output) is returned as it is.
std::string demux_log_stream(std::string_view raw);

// GET /info's answer, read; tolerant of fields an engine version lacks.
EngineInfo engine_info_from_json(const nlohmann::json& info);

// The engine's refusal to give a container the devices its create document
// requests, found in an error message (a failed start, or the container's
// State.Error afterwards): "could not select device driver \"nvidia\" with
// capabilities: [[gpu]]" (no driver for the request: the NVIDIA container
// toolkit is missing; HTTP 500 on engine 20.10, 400 on later ones) or
// "unresolvable CDI devices ...". nullopt: the message is something else.
std::optional<std::string> devices_refusal(std::string_view message);

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

class Api {
 public:
  virtual ~Api() = default;

  // Settles the API version with the engine (the real client pings it). Called
  // lazily by every other call; call it to fail early.
  virtual net::awaitable<void> negotiate() = 0;
  // GET /info.
  virtual net::awaitable<EngineInfo> info() = 0;

  // Containers
  virtual net::awaitable<std::vector<ContainerSummary>> list_containers(const Labels& label_filter, bool all = true) = 0;
  virtual net::awaitable<std::optional<ContainerInfo>> inspect_container(const std::string& id_or_name) = 0;
  // body: the create document (Config + HostConfig + NetworkingConfig). Returns the id.
  virtual net::awaitable<std::string> create_container(const std::string& name, const nlohmann::json& body) = 0;
  virtual net::awaitable<void> start_container(const std::string& id) = 0;                  // 304 is fine
  virtual net::awaitable<void> stop_container(const std::string& id, int timeout_s = 10) = 0;  // 304 is fine
  virtual net::awaitable<void> remove_container(const std::string& id, bool force = true) = 0;  // 404 is fine
  virtual net::awaitable<void> rename_container(const std::string& id, const std::string& new_name) = 0;
  // Extracts a tar archive into `path` (a directory) of a created or running container.
  virtual net::awaitable<void> put_archive(const std::string& id, const std::string& path, const std::string& tar) = 0;
  // Reads `path` of a container as a tar archive (bounded); nullopt when missing.
  virtual net::awaitable<std::optional<std::string>> get_archive(const std::string& id, const std::string& path) = 0;
  // Stats `path` inside a container without copying it; nullopt when the
  // path (or the container) does not exist.
  virtual net::awaitable<std::optional<PathStat>> stat_path(const std::string& id, const std::string& path) = 0;
  // Runs a command inside a running container and waits for it (bounded output).
  virtual net::awaitable<ExecResult> exec(const std::string& id, const std::vector<std::string>& cmd,
                                          std::chrono::seconds timeout = std::chrono::seconds(60)) = 0;
  // Waits until a started container is not running and returns its exit code
  // (POST /containers/{id}/wait); a wait longer than `timeout` throws.
  virtual net::awaitable<int> wait_container(const std::string& id, std::chrono::seconds timeout) = 0;

  // Images
  // The last `tail` lines of a container's stdout and stderr, interleaved
  // (GET /containers/{id}/logs, demultiplexed); bounded.
  virtual net::awaitable<std::string> logs(const std::string& id, int tail) = 0;

  virtual net::awaitable<bool> image_exists(const std::string& ref) = 0;
  // Pulls ref; progress is reported per line; a failure inside the 200 stream
  // throws DockerError naming the image.
  virtual net::awaitable<void> pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress) = 0;

  // Networks and volumes
  virtual net::awaitable<std::vector<NetworkInfo>> list_networks(const Labels& label_filter) = 0;
  virtual net::awaitable<std::optional<NetworkInfo>> inspect_network(const std::string& name) = 0;
  virtual net::awaitable<void> create_network(const std::string& name, const Labels& labels) = 0;
  virtual net::awaitable<void> remove_network(const std::string& id) = 0;
  virtual net::awaitable<std::vector<VolumeInfo>> list_volumes(const Labels& label_filter) = 0;
  virtual net::awaitable<std::optional<VolumeInfo>> inspect_volume(const std::string& name) = 0;
  virtual net::awaitable<void> create_volume(const std::string& name, const Labels& labels) = 0;
  virtual net::awaitable<void> remove_volume(const std::string& name) = 0;

  // Streams events matching the label filter until the connection ends or
  // on_event returns false. Returns normally when the engine closes the
  // stream; throws on transport errors. Reconnecting is the caller's job.
  // With `since`, the engine first replays the events it still holds from
  // that time on (it keeps the last 256), so nothing between a re-list and
  // the subscription is missed.
  virtual net::awaitable<void> events(const Labels& label_filter, std::function<bool(const Event&)> on_event,
                                      std::optional<std::chrono::system_clock::time_point> since = std::nullopt) = 0;
};

}  // namespace stackd::docker
