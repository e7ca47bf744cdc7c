#include "exporter/cli_flags.hpp"

namespace stackd::exporter {

void add_flags(CLI::App& app, Options& o) {
  app.add_option("--upstream", o.upstream, "Ollama URL (http://host:port)")->capture_default_str();
  app.add_option("--listen", o.listen, "address clients and Prometheus use (host:port, :port = all interfaces)")
      ->capture_default_str();
  app.add_option_function<int>(
         "--poll-interval-ms", [&o](const int& ms) { o.poll_interval = std::chrono::milliseconds(ms); },
         "how often /api/ps and /api/version are polled (default 5000)")
      ->check(CLI::Range(100, 3600000));
  app.add_option("--num-parallel", o.num_parallel,
                 "Ollama's parallel slots per model, for ollama_queue_depth (default: $OLLAMA_NUM_PARALLEL or 1)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-connections", o.max_connections,
                 "most client connections served at once; more wait in the listen queue (default: half the "
                 "descriptor limit, at most 4096)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option_function<int>(
         "--upstream-timeout-ms", [&o](const int& ms) { o.upstream_timeout = std::chrono::milliseconds(ms); },
         "longest silence from Ollama before the client gets 504 (default 600000)")
      ->check(CLI::Range(100, 24 * 3600 * 1000));
  app.add_option_function<std::string>(
         "--openai-usage", [&o](const std::string& v) { o.inject_openai_usage = v == "inject"; },
         "off: /v1 streams report usage only when the client asks (stream_options.include_usage); inject: the "
         "exporter asks for it and removes it from what the client receives, so their tokens are counted "
         "(default off)")
      ->check(CLI::IsMember({"off", "inject"}));
}

}  // namespace stackd::exporter
