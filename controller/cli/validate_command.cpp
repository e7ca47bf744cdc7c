// stackd validate -f FILE: schema, references, and promtool on the rendered
// Prometheus files. Touches no Docker engine.
#include <filesystem>
#include <iostream>

#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "reconcilers/prometheus/config_reloader.hpp"
#include "reconcilers/prometheus/prometheus_config.hpp"
#include "sources/git/git_cli_checkout.hpp"

namespace stackd::cli {

void add_validate(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("validate", "check a manifest and every file it references");
  auto file = std::make_shared<std::string>();
  auto git_settings = std::make_shared<git::GitSettings>();
  cmd->add_option("-f,--file", *file, "manifest file (or the --git-* options)");
  git::add_git_options(*cmd, *git_settings, /*daemon=*/false);
  cmd->callback([&action, file, git_settings] {
    action = [file, git_settings] {
      // With --git-*: the commit the daemon would apply (docs/gitops.md).
      std::unique_ptr<git::CliCheckout> checkout;
      if (file->empty() == git_settings->url.empty()) {
        std::cerr << "stackd validate: give -f FILE or --git-url (with --git-path)\n";
        return int(kUsage);
      }
      if (git_settings->enabled()) {
        try {
          checkout = std::make_unique<git::CliCheckout>(*git_settings);
        } catch (const std::invalid_argument& e) {
          std::cerr << "stackd validate: " << e.what() << "\n";
          return int(kUsage);
        } catch (const std::exception& e) {
          std::cerr << "stackd validate: " << e.what() << "\n";
          return int(kFailed);
        }
        *file = checkout->manifest_path().string();
        std::cout << "commit " << checkout->revision() << " of " << checkout->display_url() << "\n";
      }
      auto m = load_manifest(*file);
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
              std::cerr << *file << ": promtool rejects the Prometheus configuration:\n" << *problem << "\n";
              return int(kUsage);
            }
          } catch (const prometheus::PromtoolMissing& e) {
            // Still checked inside the Prometheus container before every reload.
            std::cerr << "warning: " << e.what() << "; rules and config were not checked with promtool\n";
          }
        }
      } catch (const std::invalid_argument& e) {
        std::cerr << *file << ": " << e.what() << "\n";
        return int(kUsage);
      }
      std::cout << *file << ": valid (revision " << m->revision.substr(0, 12) << ", " << m->enabled_components()
                << " components, " << m->referenced_files().size() << " referenced files)\n";
      return int(kOk);
    };
  });
}

}  // namespace stackd::cli
