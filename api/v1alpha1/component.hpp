#pragma once
// What every component of the stack takes (design.md §2: enabled, image,
// args, env, volumes, ...) and a file the manifest references.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stackd::manifest {

using Seconds = std::chrono::seconds;

struct Healthcheck {
  std::vector<std::string> test;  // Docker form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
  std::chrono::milliseconds interval{std::chrono::seconds(30)};
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds start_period{0};
  int retries = 3;
};

// A named volume mounted into a component: "name:/path[:ro]".
struct VolumeMount {
  std::string name;
  std::string target;
  bool read_only = false;
};

// Fields every component takes.
struct Component {
  bool enabled = true;
  std::string image;
  std::vector<std::string> args;  // extra arguments after the ones stackd sets
  std::map<std::string, std::string> env;
  std::vector<VolumeMount> volumes;
  std::optional<std::uint64_t> memory_limit;  // bytes
  std::optional<double> cpus;
  std::string restart = "unless-stopped";  // no|always|unless-stopped|on-failure
  std::optional<Healthcheck> healthcheck;
  std::map<std::string, std::string> labels;
  std::string listen = "127.0.0.1";  // bind address on the host
  std::uint16_t port = 0;
  // A host directory for the component's data instead of its named volume
  // (components that keep data); empty: the volume.
  std::string data_path;
};

// A file the manifest references, read at load time.
struct FileRef {
  std::string path;     // as resolved (absolute)
  std::string relative; // relative to the manifest directory, for messages and names
  std::string content;
};

}  // namespace stackd::manifest
