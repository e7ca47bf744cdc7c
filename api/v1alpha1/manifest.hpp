#pragma once
// The desired state as the user wrote it (docs/manifest.md), after validation:
// every field typed, every referenced file read. Nothing here talks to Docker.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/v1alpha1/alerting.hpp"
#include "api/v1alpha1/component.hpp"
#include "api/v1alpha1/gpu.hpp"

namespace stackd::manifest {

struct Prometheus : Component {
  std::optional<Seconds> retention;
  std::optional<std::uint64_t> retention_size;
  Seconds scrape_interval{15};
  Seconds evaluation_interval{15};
  std::vector<FileRef> rules;
  std::vector<std::string> rule_patterns;  // the entries as written (paths or globs)
  std::optional<FileRef> extra_scrape_configs;
  // global.external_labels; `host` is also every generated scrape target's
  // `host` label (else the engine's host name).
  std::map<std::string, std::string> external_labels;
};

// A dashboard file, parsed and checked by the loader (dashboard_file.hpp).
struct DashboardDocument {
  std::string uid;
  std::string title;
  nlohmann::json model;  // the dashboard itself (an API export unwrapped)
};

struct DashboardSource {
  std::string pattern;  // as written
  std::string folder;   // "" = root
  std::vector<FileRef> files;
  std::vector<DashboardDocument> documents;  // files[i] parsed, when the manifest is valid
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

// stackd's own HTTP endpoints (/healthz, /readyz, /status, /metrics), which
// Prometheus scrapes while a daemon serves them.
struct Controller {
  // false: no `stackd` scrape target (the daemon still serves its endpoints).
  bool enabled = true;
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
  Alertmanager alertmanager;
  Alerts alerts;
  Gpu gpu;

  std::string path;      // the manifest file
  std::string base_dir;  // its directory: relative paths resolve here
  std::string revision;  // sha256 of the manifest and every file it references

  bool host_network() const { return network == "host"; }
  // Every referenced file, for revision hashing and watching.
  std::vector<const FileRef*> referenced_files() const;
  // The rules and dashboards entries that are globs, resolved against
  // base_dir: a file that starts or stops matching one changes the manifest,
  // so the daemon watches these too.
  std::vector<std::string> file_globs() const;
  // Number of enabled components.
  int enabled_components() const;
};

}  // namespace stackd::manifest
