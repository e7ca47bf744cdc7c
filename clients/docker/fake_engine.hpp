#pragma once
// An in-memory Docker engine behind docker::Api, for unit tests of the
// runtime and the reconcilers. It keeps the engine's semantics as
// docker::Client presents them (see docker_api.hpp): a taken container name
// answers 409, an unknown object 404, starting a running container and
// stopping a stopped one are fine (the engine's 304), removing a running
// container needs force, stopping or removing a missing one is fine (the
// client treats the engine's 404 as done). Files put into a container are
// kept per path with their mode and mtime, so get_archive and stat_path
// answer like the engine's GET and HEAD /archive.
//
// Tests arrange the world through the helpers below (a foreign container, a
// file edited by hand, an image that dies at once, an injected failure) and
// assert on what the engine holds afterwards. Time is a logical clock that
// advances one second per change, so StartedAt and mtimes are deterministic.
//
// Single-threaded: use it from one io_context thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"

namespace stackd::docker {

class FakeEngine final : public Api {
 public:
  struct File {
    std::string content;
    unsigned mode = 0644;
    std::int64_t mtime = 0;
  };
  struct Container {
    std::string id;
    std::string name;
    std::string image;  // the reference it was created from
    nlohmann::json create_body;
    Labels labels;
    std::string status = "created";  // created|running|exited|removing|...
    int exit_code = 0;
    std::string started_at = "0001-01-01T00:00:00Z";
    std::string finished_at = "0001-01-01T00:00:00Z";
    std::string health;  // "" without healthcheck
    int restart_count = 0;
    std::string error;  // State.Error: why its last start failed
    std::map<std::string, File> files;  // absolute path -> file
    std::string log;                    // what logs() answers
    bool running() const { return status == "running"; }
  };
  // How a container of an image behaves when started.
  struct ImageBehaviour {
    std::optional<int> exits_at_once;  // the process ends right after start with this code
    std::string log;                   // what the process writes (its logs) when it starts
    std::string health = "healthy";    // health once started, for containers with a healthcheck
    // The process runs to completion when started (a one-shot command such as
    // a config checker): its exit code and output (its logs), from what the
    // container holds (its create body, its files). nullopt: this container
    // runs the image's own long-lived process (no one-shot command in its
    // create body), which behaves as the fields above say.
    std::function<std::optional<std::pair<int, std::string>>(const Container&)> runs_to_completion;
  };

  FakeEngine();
  ~FakeEngine() override;

  // --- Arranging the world ---
  void add_image(const std::string& ref);           // present locally
  void add_pullable_image(const std::string& ref);  // a pull succeeds and makes it present
  void set_image_behaviour(const std::string& ref, ImageBehaviour behaviour);
  // A container created behind stackd's back (any labels); returns its id.
  std::string add_container(const std::string& name, const Labels& labels, const std::string& image = "busybox",
                            bool running = true);
  // Someone changed a file inside a running container (mtime = now).
  void write_file(const std::string& id_or_name, const std::string& path, const std::string& content,
                  unsigned mode = 0644);
  // The process in the container ended (die) with this exit code.
  void kill_container(const std::string& id_or_name, int exit_code = 137);
  // Sets the health status a healthchecked container reports now.
  void set_health(const std::string& id_or_name, const std::string& health);
  // Answers exec calls: default exit 0 with no output.
  using ExecScript = std::function<ExecResult(const Container&, const std::vector<std::string>& cmd)>;
  void set_exec_script(ExecScript script) { exec_script_ = std::move(script); }
  // The next `times` calls of `call` (a method name: "create_container",
  // "start_container", "put_archive", ...) whose first argument contains
  // `target` (a name or id; "" matches any) fail with `error`.
  void fail_next(const std::string& call, const std::string& target, std::exception_ptr error, int times = 1);
  void fail_next(const std::string& call, const std::string& target, DockerError error, int times = 1);
  // Simulates the caller being killed: after `calls` more calls, every call
  // fails (none of it reaches the world) until revive(). Enumerating `calls`
  // from 0 reaches every intermediate state of an operation.
  void crash_after(int calls);
  void revive();
  // Ends every events() subscription (the engine closed the stream).
  void close_event_streams();

  // --- Looking at the world ---
  std::vector<Container> containers() const;  // in creation order
  const Container* find(const std::string& id_or_name) const;
  const std::map<std::string, NetworkInfo>& networks() const { return networks_; }
  const std::map<std::string, VolumeInfo>& volumes() const { return volumes_; }
  bool has_image(const std::string& ref) const;
  // How often a method was called; for the few properties that are about
  // traffic itself (a no-op plan downloads nothing).
  int calls(const std::string& method) const;
  std::int64_t now() const { return now_; }

  // --- docker::Api ---
  net::awaitable<void> negotiate() override;
  net::awaitable<EngineInfo> info() override;
  net::awaitable<std::string> logs(const std::string& id, int tail) override;
  // What info() answers (a host name by default; no runtime but runc).
  void set_info(EngineInfo info) { info_ = std::move(info); }
  // The device drivers the engine has ("nvidia" where the NVIDIA container
  // toolkit is installed); none by default. Starting a container whose
  // device requests name another fails as the engine's does: HTTP 500
  // "could not select device driver ...", State.Error set, the container
  // left created, and no event.
  void set_device_drivers(std::vector<std::string> drivers) { device_drivers_ = std::move(drivers); }
  net::awaitable<std::vector<ContainerSummary>> list_containers(const Labels& label_filter, bool all = true) override;
  net::awaitable<std::optional<ContainerInfo>> inspect_container(const std::string& id_or_name) override;
  net::awaitable<std::string> create_container(const std::string& name, const nlohmann::json& body) override;
  net::awaitable<void> start_container(const std::string& id) override;
  net::awaitable<void> stop_container(const std::string& id, int timeout_s = 10) override;
  net::awaitable<void> remove_container(const std::string& id, bool force = true) override;
  net::awaitable<void> rename_container(const std::string& id, const std::string& new_name) override;
  net::awaitable<void> put_archive(const std::string& id, const std::string& path, const std::string& tar) override;
  net::awaitable<std::optional<std::string>> get_archive(const std::string& id, const std::string& path) override;
  net::awaitable<std::optional<PathStat>> stat_path(const std::string& id, const std::string& path) override;
  net::awaitable<ExecResult> exec(const std::string& id, const std::vector<std::string>& cmd,
                                  std::chrono::seconds timeout = std::chrono::seconds(60)) override;
  // A container that is not running answers at once; a running one never
  // ends by itself here, so the wait times out (throws).
  net::awaitable<int> wait_container(const std::string& id, std::chrono::seconds timeout) override;
  net::awaitable<bool> image_exists(const std::string& ref) override;
  net::awaitable<void> pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress) override;
  net::awaitable<std::vector<NetworkInfo>> list_networks(const Labels& label_filter) override;
  net::awaitable<std::optional<NetworkInfo>> inspect_network(const std::string& name) override;
  net::awaitable<void> create_network(const std::string& name, const Labels& labels) override;
  net::awaitable<void> remove_network(const std::string& id) override;
  net::awaitable<std::vector<VolumeInfo>> list_volumes(const Labels& label_filter) override;
  net::awaitable<std::optional<VolumeInfo>> inspect_volume(const std::string& name) override;
  net::awaitable<void> create_volume(const std::string& name, const Labels& labels) override;
  net::awaitable<void> remove_volume(const std::string& name) override;
  // `since` is accepted and ignored: the fake delivers only events after the subscription.
  net::awaitable<void> events(const Labels& label_filter, std::function<bool(const Event&)> on_event,
                              std::optional<std::chrono::system_clock::time_point> since = std::nullopt) override;

 private:
  EngineInfo info_{.name = "fake-host", .server_version = "fake", .runtimes = {"runc"}, .cdi_devices = {}};
  struct Failure {
    std::string call, target;
    std::exception_ptr error;
    int times;
  };
  struct Subscriber;
  void enter(const std::string& call, const std::string& target);
  Container* lookup(const std::string& id_or_name);
  Container& require(const std::string& id_or_name, const std::string& what);
  std::string new_id();
  std::string timestamp();  // advances the clock
  void emit(const std::string& type, const std::string& action, const std::string& id, Labels attributes);
  void start(Container& c);
  void stop(Container& c, int exit_code);
  bool volume_in_use(const std::string& name) const;

  std::vector<std::unique_ptr<Container>> containers_;
  std::map<std::string, NetworkInfo> networks_;  // by name
  std::map<std::string, VolumeInfo> volumes_;    // by name
  std::map<std::string, bool> images_;           // ref -> present (false: pullable)
  std::map<std::string, ImageBehaviour> behaviours_;
  std::vector<Failure> failures_;
  std::map<std::string, int> calls_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  ExecScript exec_script_;
  std::vector<std::string> device_drivers_;
  std::optional<int> calls_until_crash_;
  std::int64_t now_ = 1'767'225'600;  // 2026-01-01T00:00:00Z
  std::uint64_t next_id_ = 1;
};

}  // namespace stackd::docker
