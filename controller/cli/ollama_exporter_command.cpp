// stackd ollama-exporter: the metering proxy in front of Ollama (design.md §5).
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "exporter/ollama_exporter.hpp"

namespace stackd::cli {

void add_ollama_exporter(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("ollama-exporter", "proxy Ollama and serve its metrics at /metrics");
  auto o = std::make_shared<exporter::Options>();
  int poll_ms = static_cast<int>(o->poll_interval.count());
  auto poll = std::make_shared<int>(poll_ms);
  cmd->add_option("--upstream", o->upstream, "where Ollama listens")->capture_default_str();
  cmd->add_option("--listen", o->listen, "address:port clients and Prometheus use")->capture_default_str();
  cmd->add_option("--poll-interval-ms", *poll, "how often /api/ps is polled")->check(CLI::Range(100, 600000));
  cmd->callback([&action, o, poll] {
    action = [o, poll] {
      o->poll_interval = std::chrono::milliseconds(*poll);
      return exporter::run(*o);
    };
  });
}

}  // namespace stackd::cli
