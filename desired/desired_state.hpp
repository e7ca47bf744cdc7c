#pragma once
// What one revision of the manifest means, rendered once (desired/render.hpp)
// and then only read: the network, the data volumes, one container per
// enabled component with its create document and spec hash, the live files
// kept in sync inside running containers, and what Grafana should hold.
// Pure data: nothing here talks to Docker or Grafana, and reconcilers never
// render: they compare this with what they observe.
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/component_kind.hpp"
#include "common/tar_archive.hpp"
#include "desired/gpu_exporter/gpu_decision.hpp"

namespace stackd::desired {

using manifest::ComponentKind;

struct ContainerSpec {
  ComponentKind component = ComponentKind::Prometheus;
  std::string name;  // <stack>-<component>
  std::string image;
  nlohmann::json create_body;  // Config + HostConfig + NetworkingConfig, labels included
  // Files delivered before the first start; their content is part of the
  // spec hash. (Live files, delivered too, are not: see LiveFileSet.)
  std::vector<TarFile> files;
  std::string spec_hash;
  std::map<std::string, std::string> spec_parts;  // part -> short digest
  std::string api_url;   // where stackd (on the host) reaches it: http://127.0.0.1:9090
  std::string peer_url;  // where other containers of the stack reach it
  // Answers 2xx once the component serves (`apply --wait`): Prometheus
  // /-/ready, Grafana /api/health. Empty: running and healthy is ready.
  std::string ready_url;
  // When the engine cannot give it the devices its create document requests
  // (the start fails with "could not select device driver"): the reason its
  // Degraded condition shows and the fix, for people. Empty: it requests none.
  std::string devices_unavailable_reason;
  std::string devices_unavailable_fix;
};

struct VolumeSpec {
  std::string name;
  ComponentKind component = ComponentKind::Prometheus;
};

// The sets of files kept in sync inside a running container without
// recreating it. Closed: reconcilers/live_config has a policy per kind.
enum class LiveSet {
  PrometheusConfig,      // prometheus.yml and the rule files: promtool, then POST /-/reload
  AlertmanagerConfig,    // alertmanager.yml and its secret files: amtool, then POST /-/reload
  GrafanaAdminPassword,  // the file GF_SECURITY_ADMIN_PASSWORD__FILE names: replaced as it is
};
std::string_view to_string(LiveSet set);  // "prometheus", "alertmanager", "grafana-password"
std::optional<LiveSet> live_set_named(std::string_view name);

struct LiveFileSet {
  LiveSet kind = LiveSet::PrometheusConfig;
  ComponentKind component = ComponentKind::Prometheus;  // the container that holds them
  std::string dir;              // absolute, no trailing '/': /etc/prometheus/stackd
  std::vector<TarFile> files;   // tar members relative to "/", every one under dir
  // What users call each member (the manifest's own file, relative to it:
  // "prometheus/alerts.yml"), by member path; a member not listed is
  // generated from the manifest section `generated_from`.
  std::map<std::string, std::string> sources;
  std::string generated_from;   // "spec.prometheus"
  std::set<std::string> secret;  // member paths whose content is never shown
  // A generated member that holds items the user wrote: prometheus.yml ends
  // its scrape_configs with the items of spec.prometheus.extraScrapeConfigs,
  // re-emitted in stackd's layout. A checker's verdict on such a line is the
  // user's (live_config::user_scrape_position finds it in their file).
  struct UserScrapeConfigs {
    std::string member;     // "etc/prometheus/stackd/prometheus.yml"
    std::string user_path;  // the user's file, relative to the manifest
    std::string user_text;  // its content
  };
  std::optional<UserScrapeConfigs> user_scrape_configs;
  // Beside the files at create: "these are what the container loads"
  // (reconcilers/live_config). Only for sets that are reloaded.
  std::optional<TarFile> loaded_marker;

  // The user's name for a member: "prometheus/alerts.yml", or
  // "prometheus.yml (generated from spec.prometheus)".
  std::string source_of(const std::string& member) const;
};

// Grafana's objects, ready to compare with what its API holds.
struct DatasourceSpec {
  std::string uid, name, type, url, access = "proxy";
  bool is_default = false;
  nlohmann::json json_data = nlohmann::json::object();
};

struct DashboardSpec {
  std::string uid;
  std::string title;
  std::string source;        // the manifest's file, relative to it: grafana/dashboards/gpu.json
  std::string folder_title;  // "" = root
  // Ready to push: datasource placeholders resolved, stackd's tag added, no
  // id or version; compared with Grafana's copy by `hash` (canonical JSON).
  nlohmann::json model;
  std::string hash;
};

struct GrafanaState {
  std::string base_url;   // where stackd reaches it
  bool runs_container = true;  // false: spec.grafana.url, a Grafana stackd syncs but does not run
  std::string user;
  std::vector<DatasourceSpec> datasources;
  std::vector<std::string> folders;  // titles, root excluded
  std::vector<DashboardSpec> dashboards;
  std::string prometheus_datasource_uid = "prometheus";
  std::chrono::seconds resync_interval{30};
};

struct DesiredState {
  std::string stack;
  std::string revision;
  std::string origin;  // label dev.stackd.origin of every object of the stack; empty: none
  std::optional<std::string> network;  // nullopt with host networking
  std::vector<VolumeSpec> volumes;
  std::vector<ContainerSpec> containers;
  std::vector<LiveFileSet> live_files;
  std::optional<GrafanaState> grafana;  // nullopt: no Grafana to sync
  // Whose GPUs are watched and why (`stackd diff` says it); nullopt: the
  // manifest asks for no GPU metrics.
  std::optional<GpuDecision> gpu;

  const ContainerSpec* container(ComponentKind kind) const;
  const LiveFileSet* live_set(LiveSet kind) const;
  // Every live file of a container, as it is delivered at create (markers included).
  std::vector<TarFile> live_files_of(ComponentKind kind) const;
};

}  // namespace stackd::desired
