// stackd ollama-exporter: the metering proxy in front of Ollama (docs/exporter.md).
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "exporter/cli_flags.hpp"
#include "exporter/ollama_exporter.hpp"

namespace stackd::cli {

void add_ollama_exporter(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("ollama-exporter", "proxy Ollama and serve its metrics at /metrics");
  auto o = std::make_shared<exporter::Options>();
  exporter::add_flags(*cmd, *o);
  cmd->callback([&action, o] {
    action = [o] { return exporter::run(*o); };
  });
}

}  // namespace stackd::cli
