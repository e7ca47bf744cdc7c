#include "controller/cli/cli.hpp"

#include <iostream>

#include "common/logging.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"

namespace stackd::cli {

int main(int argc, char** argv) {
  CLI::App app{"stackd: keeps an Ollama monitoring stack (Prometheus, Grafana, node-exporter, the Ollama exporter) "
               "converged on one Docker host"};
  app.require_subcommand(1);
  std::string log_format = "text";
  std::string log_level = "info";
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.fallthrough();

  Action action;
  add_validate(app, action);
  add_diff(app, action);
  add_render(app, action);
  add_apply(app, action);
  add_down(app, action);
  add_run(app, action);
  add_status(app, action);
  add_healthcheck(app, action);
  add_ollama_exporter(app, action);
  app.add_subcommand("version", "print the version")->callback([&] {
    action = [] {
      std::cout << "stackd " << STACKD_VERSION << "\n";
      return int(kOk);
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  setup_logging(parse_log_format(log_format), log_level);
  if (!action) return kUsage;
  return action();
}

}  // namespace stackd::cli
