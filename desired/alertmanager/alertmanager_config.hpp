#pragma once
// Renders what stackd delivers into the Alertmanager container:
// alertmanager.yml from spec.alertmanager (or the user's raw configFile) and
// one file per secret, as tar members relative to "/" for PUT archive (no host
// paths). Secrets reach Alertmanager only through its *_file fields: the
// rendered alertmanager.yml names the files and never holds a secret, so it
// is safe to log, show and diff.
#include <chrono>
#include <string>
#include <vector>

#include "api/v1alpha1/manifest.hpp"
#include "common/tar_archive.hpp"

namespace stackd::alertmanager {

inline constexpr const char* kConfigDir = "/etc/alertmanager/stackd";
inline constexpr const char* kConfigFile = "/etc/alertmanager/stackd/alertmanager.yml";
inline constexpr const char* kStagingDir = "/etc/alertmanager/stackd-staging";
inline constexpr const char* kDataDir = "/alertmanager";  // silences and the notification log
// The official image runs as nobody: secrets are readable by it alone.
inline constexpr unsigned kAlertmanagerUid = 65534;

// alertmanager.yml: the default route to the first receiver with the
// manifest's grouping, the child routes in order, OllamaDown inhibiting the
// other Ollama alerts of the same instance, and every receiver. Deterministic
// byte for byte. With configFile, that file's content as it is.
std::string render_config_yml(const manifest::Alertmanager& am);

// Where a receiver's secret lives in the container (absolute).
std::string secret_path(const std::string& receiver, const std::string& field);

// alertmanager.yml and the secret files (mode 0400, owned by nobody).
std::vector<TarFile> render_files(const manifest::Alertmanager& am);

// Alertmanager's duration notation, largest units first: 30s, 5m, 4h, 1h30m.
std::string alertmanager_duration(std::chrono::seconds d);

}  // namespace stackd::alertmanager
