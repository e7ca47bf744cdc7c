#pragma once
// The Prometheus files promtool checks, as the user's files: each rule file
// is the manifest's rule file of the same place, and prometheus.yml, which
// stackd generates, is the user's extraScrapeConfigs file where it holds
// their scrape configs (a line there is found by its place in the YAML
// tree: stackd re-emits the user's items in its own layout).
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/manifest.hpp"
#include "common/tar_archive.hpp"
#include "reconcilers/live_config/checker_output.hpp"
#include "reconcilers/live_config/scrape_config_position.hpp"

namespace stackd::prometheus {

// `live_files`: render_files' output for `m` (prometheus.yml, then the rule
// files in the manifest's order). `manifest_name`: the manifest as messages
// name it, for problems in what stackd generated from it.
std::vector<live_config::CheckedFile> checked_files(const manifest::Manifest& m, const std::vector<TarFile>& live_files,
                                                    const std::string& manifest_name);

// Where a line of prometheus.yml is in the user's scrape configs (moved to
// live_config, where the check before a create uses it too).
using live_config::user_scrape_position;

}  // namespace stackd::prometheus
