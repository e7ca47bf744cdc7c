#pragma once
// Renders everything stackd delivers into the Prometheus container: the
// generated prometheus.yml and the manifest's rule files, as tar members
// relative to "/" so they reach the container by PUT /containers/{id}/archive
// (no host paths; docs/architecture.md).
//
// prometheus.yml names its rule files by paths RELATIVE to its own directory
// (Prometheus resolves rule_files against the config file's directory), so the
// same bytes can be staged in another directory and validated there with
// promtool before they go live.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/tar_archive.hpp"

namespace stackd::prometheus {

// Where the rendered files live inside the container (absolute, no trailing '/').
inline constexpr const char* kConfigDir = "/etc/prometheus/stackd";
inline constexpr const char* kConfigFile = "/etc/prometheus/stackd/prometheus.yml";
inline constexpr const char* kRulesSubdir = "rules";

// Bounds on what a manifest may hand us (checked by render_files).
inline constexpr std::size_t kMaxExtraScrapeConfigsBytes = 1024 * 1024;
inline constexpr std::size_t kMaxRuleFiles = 256;
inline constexpr std::size_t kMaxRuleFileBytes = 4 * 1024 * 1024;

struct ScrapeTarget {
  std::string job;
  std::string address;  // host:port
  std::string metrics_path = "/metrics";
};

struct ConfigInput {
  std::chrono::seconds scrape_interval{15}, evaluation_interval{15};
  std::vector<ScrapeTarget> targets;  // prometheus itself, node-exporter, ollama exporter, stackd
  std::string extra_scrape_configs_yaml;  // raw YAML sequence of scrape_configs from the user's file, appended
  std::vector<std::pair<std::string, std::string>> rule_files;  // file name (unique, flat) -> content
  // host:port of the stack's Alertmanager(s); empty = no `alerting` section.
  std::vector<std::string> alertmanagers;
  std::map<std::string, std::string> external_labels;  // global.external_labels
  // Labels of every generated job's targets (the box's `host`); the user's
  // extra scrape configs keep their own.
  std::map<std::string, std::string> target_labels;
};

// All files stackd delivers for Prometheus, as tar members relative to "/"
// ("etc/prometheus/stackd/prometheus.yml", "etc/prometheus/stackd/rules/alerts.yml"),
// deterministic byte-for-byte for the same input.
//
// Throws std::invalid_argument with a clear message when the extra scrape
// configs are not a YAML sequence of mappings with a job_name each, reuse a
// job name stackd generates (or each other's), when a rule file name is not a
// unique flat file name, when a target has no job/address, or when an input
// exceeds the bounds above.
std::vector<stackd::TarFile> render_files(const ConfigInput& input);

// Renders only prometheus.yml (same rules as render_files).
std::string render_prometheus_yml(const ConfigInput& input);

// Formats a duration as Prometheus wants it ("15s", "1m", "1h30m"). Throws
// std::invalid_argument for zero or negative durations.
std::string prometheus_duration(std::chrono::seconds d);

}  // namespace stackd::prometheus
