#pragma once
// Where in the user's extraScrapeConfigs file a line of the prometheus.yml
// stackd renders comes from: stackd re-emits the user's items, in its own
// layout, at the end of scrape_configs, so a line there is found by its place
// in the YAML tree. Pure. Used to tell promtool's verdict on prometheus.yml in
// the user's file, by `validate` (local promtool) and before a Prometheus is
// created (the image's promtool).
#include <optional>
#include <string>

#include "reconcilers/live_config/checker_output.hpp"

namespace stackd::live_config {

// The position in `user_yaml` (a list of scrape configs) of line
// `generated_line` of `generated_yml` (a prometheus.yml whose scrape_configs
// end with the user's items, re-emitted); nullopt for a line stackd wrote.
std::optional<SourcePosition> user_scrape_position(const std::string& generated_yml, const std::string& user_yaml,
                                                   int generated_line);

}  // namespace stackd::live_config
