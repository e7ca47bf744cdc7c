// Standalone entry point of the exporter, used by tests and the benchmark.
// The `stackd ollama-exporter` verb calls the same stackd::exporter::run().
#include <CLI/CLI.hpp>

#include <string>

#include "common/logging.hpp"
#include "exporter/ollama_exporter.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Metering reverse proxy for Ollama, serving Prometheus metrics on /metrics"};
  stackd::exporter::Options opts;
  std::string log_format = "text";
  std::string log_level = "info";
  int poll_ms = static_cast<int>(opts.poll_interval.count());
  app.add_option("--upstream", opts.upstream, "Ollama URL")->capture_default_str();
  app.add_option("--listen", opts.listen, "address clients and Prometheus use (host:port)")->capture_default_str();
  app.add_option("--poll-interval-ms", poll_ms, "how often /api/ps is polled")->capture_default_str()->check(CLI::Range(100, 3600000));
  app.add_option("--num-parallel", opts.num_parallel, "Ollama's parallel slots per model (default: $OLLAMA_NUM_PARALLEL or 1)");
  app.add_option("--log-format", log_format, "text|json")->capture_default_str()->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  opts.poll_interval = std::chrono::milliseconds(poll_ms);
  stackd::setup_logging(stackd::parse_log_format(log_format), log_level);
  return stackd::exporter::run(opts);
}
