// stackd validate -f FILE: schema, references, and promtool on the rendered
// Prometheus files. Touches no Docker engine.
#include <filesystem>
#include <iostream>

#include "controller/cli/command_support.hpp"
#include "controller/cli/manifest_input.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/prometheus/config_reloader.hpp"
#include "reconcilers/prometheus/prometheus_config.hpp"

namespace stackd::cli {

void add_validate(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("validate", "check a manifest and every file it references");
  // With --git-*: the commit the daemon would apply (docs/gitops.md).
  auto input = std::make_shared<ManifestInput>();
  input->add_options(*cmd);
  cmd->callback([&action, input] {
    action = [input] {
      if (auto rc = input->open("validate")) return *rc;
      auto m = input->load();
      if (!m) return int(kUsage);
      // Rendering checks what the schema cannot (extra scrape configs against
      // generated jobs); promtool checks rules and config as Prometheus would.
      try {
        auto d = containers::render_desired_state(*m, containers::RenderContext{"validate-placeholder", "stackd:validate"});
        for (const auto& c : d.containers) {
          if (c.component != containers::kPrometheus) continue;
          try {
            if (auto problem = prometheus::check_with_local_promtool(c.live_files)) {
              // Name the user's files, not where they live inside the container.
              for (const auto& rule : m->prometheus.rules) {
                auto in_container = std::string(prometheus::kConfigDir) + "/rules/" +
                                    std::filesystem::path(rule.relative).filename().string();
                for (std::size_t at; (at = problem->find(in_container)) != std::string::npos;)
                  problem->replace(at, in_container.size(), rule.path);
              }
              std::cerr << input->name() << ": promtool rejects the Prometheus configuration:\n"
                        << input->shown(*problem) << "\n";
              return int(kUsage);
            }
          } catch (const prometheus::PromtoolMissing& e) {
            // Still checked inside the Prometheus container before every reload.
            std::cerr << "warning: " << e.what() << "; rules and config were not checked with promtool\n";
          }
        }
      } catch (const std::invalid_argument& e) {
        std::cerr << input->name() << ": " << input->shown(e.what()) << "\n";
        return int(kUsage);
      }
      std::cout << input->name() << ": valid (revision " << m->revision.substr(0, 12) << ", " << m->enabled_components()
                << " components, " << m->referenced_files().size() << " referenced files)\n";
      return int(kOk);
    };
  });
}

}  // namespace stackd::cli
