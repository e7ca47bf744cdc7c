#include "reconcilers/prometheus/checked_files.hpp"

#include <memory>

namespace stackd::prometheus {

using live_config::SourcePosition;

std::vector<live_config::CheckedFile> checked_files(const manifest::Manifest& m, const std::vector<TarFile>& live_files,
                                                    const std::string& manifest_name) {
  std::vector<live_config::CheckedFile> out;
  if (live_files.empty()) return out;
  // prometheus.yml: the user's scrape configs are the only part not stackd's.
  live_config::CheckedFile config{"/" + live_files.front().path, manifest_name, "", {}};
  if (const auto& extra = m.prometheus.extra_scrape_configs) {
    config.user_path = extra->relative;
    config.user_text = extra->content;
    config.translate = [generated = std::make_shared<std::string>(live_files.front().content),
                        user = std::make_shared<std::string>(extra->content)](int line) {
      return user_scrape_position(*generated, *user, line);
    };
  } else {
    config.translate = [](int) { return std::optional<SourcePosition>(); };
  }
  out.push_back(std::move(config));
  // The rule files follow in the manifest's order (render_files).
  const auto& rules = m.prometheus.rules;
  for (std::size_t i = 1; i < live_files.size() && i - 1 < rules.size(); ++i)
    out.push_back({"/" + live_files[i].path, rules[i - 1].relative, rules[i - 1].content, {}});
  return out;
}

}  // namespace stackd::prometheus
