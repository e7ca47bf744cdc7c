#pragma once
// The desired state as the user wrote it (docs/manifest.md), after validation:
// every field typed, every referenced file read. Nothing here talks to Docker.
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
};

// A file the manifest references, read at load time.
struct FileRef {
  std::string path;     // as resolved (absolute)
  std::string relative; // relative to the manifest directory, for messages and names
  std::string content;
};

struct Prometheus : Component {
  std::optional<Seconds> retention;
  std::optional<std::uint64_t> retention_size;
  Seconds scrape_interval{15};
  Seconds evaluation_interval{15};
  std::vector<FileRef> rules;
  std::optional<FileRef> extra_scrape_configs;
};

struct DashboardSource {
  std::string pattern;  // as written
  std::string folder;   // "" = root
  std::vector<FileRef> files;
};

struct Datasource {
  std::string name, type, url, uid, access = "proxy";
  bool is_default = false;
};

struct Grafana : Component {
  // An existing Grafana reached through its API (http://host[:port][/path]),
  // which stackd keeps in sync but does not run; "" = the Grafana container
  // stackd runs itself.
  std::string url;
  std::string admin_user = "admin";
  std::optional<FileRef> admin_password_file;  // content is a secret: never log it
  std::string admin_password_env;
  // spec.grafana.serviceAccountTokenFile: a service-account token stackd sends
  // as Bearer instead of the admin's basic auth (content is a secret).
  std::optional<FileRef> service_account_token_file;
  std::vector<DashboardSource> dashboards;
  std::vector<Datasource> datasources;
  Seconds resync_interval{30};
};

struct NodeExporter : Component {};

struct OllamaExporter : Component {};

struct Ollama {
  bool enabled = true;
  std::string url = "http://host.docker.internal:11434";
  OllamaExporter exporter;
  bool declared = false;  // the manifest has an `ollama` section
};

// stackd's own HTTP endpoints (/metrics, /status), scraped by Prometheus.
struct Controller {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 9321;
};

struct Manifest {
  std::string api_version;
  std::string kind;
  std::string name;     // metadata.name
  std::string network;  // "host" = host networking
  bool allow_empty = false;
  Prometheus prometheus;
  Grafana grafana;
  NodeExporter node_exporter;
  Ollama ollama;
  Controller controller;

  std::string path;      // the manifest file
  std::string base_dir;  // its directory: relative paths resolve here
  std::string revision;  // sha256 of the manifest and every file it references

  bool host_network() const { return network == "host"; }
  // Every referenced file, for revision hashing and watching.
  std::vector<const FileRef*> referenced_files() const;
  // Number of enabled components.
  int enabled_components() const;
};

}  // namespace stackd::manifest
