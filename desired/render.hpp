#pragma once
// Renders a validated manifest into the desired state: every component of
// the component table (desired/component_table.hpp) that the manifest
// enables, the data volumes, the live files and what Grafana should hold.
// Pure: no I/O; the same manifest and values give the same bytes.
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "desired/desired_state.hpp"
#include "desired/gpu_exporter/gpu_decision.hpp"

namespace stackd::desired {

// What rendering needs besides the manifest: values resolved outside it.
struct ResolvedValues {
  std::string grafana_admin_password;  // never logged
  std::string exporter_image;          // the Ollama exporter's image when the manifest names none
  // Where the manifest comes from (desired::SourceRevision::origin); its
  // digest labels every object, so a renamed stack is found.
  std::string origin;
  // The box's `host` label on every scrape target stackd generates:
  // spec.prometheus.externalLabels.host when given, else the engine's host
  // name (GET /info); empty: no host label.
  std::string host;
  // A stackd daemon serves /metrics for this stack (`stackd run`, or apply
  // --force beside one): only then does Prometheus get a `stackd` target.
  bool daemon_serves_metrics = false;
  // What the engine and the host say of the box's GPUs (spec.gpu.vendor: auto).
  GpuFacts gpu;
};

// The value of the dev.stackd.origin label of a manifest's objects.
std::string origin_label(const std::string& origin);

// Throws std::invalid_argument naming the user's file when the manifest's
// files cannot be rendered (extra scrape configs that clash with generated
// jobs, a dashboard without a uid, a bad placeholder in a rule file), every
// problem in one message, one per line.
DesiredState render(const manifest::Manifest& m, const ResolvedValues& values);

}  // namespace stackd::desired
