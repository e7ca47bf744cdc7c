// Standalone entry point of the exporter, used by tests and the benchmark.
// The `stackd ollama-exporter` verb calls the same stackd::exporter::run().
#include <CLI/CLI.hpp>

#include <string>

#include "common/logging.hpp"
#include "exporter/cli_flags.hpp"
#include "exporter/ollama_exporter.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Metering reverse proxy for Ollama, serving Prometheus metrics on /metrics"};
  stackd::exporter::Options opts;
  std::string log_format = "text";
  std::string log_level = "info";
  stackd::exporter::add_flags(app, opts);
  app.add_option("--log-format", log_format, "text|json")->capture_default_str()->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  stackd::setup_logging(stackd::parse_log_format(log_format), log_level);
  return stackd::exporter::run(opts);
}
