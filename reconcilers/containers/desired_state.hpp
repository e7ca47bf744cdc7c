#pragma once
// What the manifest means in Docker objects: one network (unless host
// networking), named data volumes, and one container per enabled component,
// each with its spec hash. Pure data: rendering does no I/O.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/tar_archive.hpp"
#include "api/v1alpha1/manifest.hpp"

namespace stackd::containers {

struct ContainerSpec {
  std::string component;  // prometheus | grafana | node-exporter | ollama-exporter | alertmanager
  std::string name;       // <stack>-<component>
  std::string image;
  nlohmann::json create_body;  // Config + HostConfig + NetworkingConfig, labels included
  // Files delivered before start; their content is part of the spec hash.
  std::vector<TarFile> files;
  // Files kept in sync while the container runs (Prometheus config and rules,
  // the Grafana password). Not in the spec hash: changing them must not
  // recreate the container, and a secret's digest does not belong in a label.
  std::vector<TarFile> live_files;
  // Key of the reconciler that brings a running container's live files up to
  // date (a validated reload: "prometheus-config", "alertmanager-config");
  // empty: the container reconciler replaces them (the Grafana password).
  // Either way they are delivered before start.
  std::string live_files_reconciler;
  // Delivered with the live files at create: the reloading reconciler's
  // "these are loaded" marker (reconcilers/live_config). A container loads
  // at its first start exactly what it was created with, so that reconciler
  // finds it Unchanged and never reloads a component that is just starting.
  std::optional<TarFile> loaded_marker;
  std::string spec_hash;
  std::map<std::string, std::string> spec_parts;  // part -> short digest
  std::string api_url;   // where stackd (on the host) reaches it: http://127.0.0.1:9090
  std::string peer_url;  // where other containers of the stack reach it
  // Answers 2xx once the component serves (`apply --wait`): Prometheus
  // /-/ready, Grafana /api/health. Empty: running and healthy is ready.
  std::string ready_url;
};

struct VolumeSpec {
  std::string name;
  std::string component;
};

struct DesiredState {
  std::string stack;
  std::optional<std::string> network;  // nullopt with host networking
  std::vector<VolumeSpec> volumes;
  std::vector<ContainerSpec> containers;
  std::string revision;
};

// What rendering needs besides the manifest.
struct RenderContext {
  std::string grafana_admin_password;  // resolved by the caller; never logged
  std::string exporter_image;           // image for the Ollama exporter when the manifest names none
};

// Throws std::invalid_argument when the manifest's files cannot be rendered
// (e.g. extra scrape configs that clash with generated jobs).
DesiredState render_desired_state(const manifest::Manifest& m, const RenderContext& ctx);

// Spec hash and parts of a container spec: canonical JSON of the create body
// (labels aside) and the digests of its static files.
void seal_spec(ContainerSpec& spec);

// Component names as they appear in labels and container names.
inline constexpr const char* kPrometheus = "prometheus";
inline constexpr const char* kGrafana = "grafana";
inline constexpr const char* kNodeExporter = "node-exporter";
inline constexpr const char* kOllamaExporter = "ollama-exporter";
inline constexpr const char* kAlertmanager = "alertmanager";

}  // namespace stackd::containers
