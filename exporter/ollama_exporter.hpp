#pragma once
// `stackd ollama-exporter`: a metering reverse proxy in front of Ollama that
// serves Prometheus metrics on /metrics (docs/exporter.md). Clients talk to Ollama
// through `listen`; every path is proxied to `upstream` unchanged.
#include <chrono>
#include <cstddef>
#include <string>

namespace stackd::exporter {

struct Options {
  std::string upstream = "http://127.0.0.1:11434";
  std::string listen = "127.0.0.1:11435";
  std::chrono::milliseconds poll_interval{5000};
  // Ollama's parallel slots per model, for ollama_queue_depth. 0 = take
  // OLLAMA_NUM_PARALLEL from the environment, else 1 (Ollama's default).
  int num_parallel = 0;
  // Most client connections served at once; 0 = derived from the
  // descriptor limit (default_max_connections() in accept_loop.hpp).
  std::size_t max_connections = 0;
  // Longest silence from Ollama while it queues, loads the model or
  // evaluates the prompt; then the client gets 504 (never a replay).
  std::chrono::milliseconds upstream_timeout{std::chrono::seconds(600)};
  // --openai-usage=inject: ask Ollama for usage on /v1 streams that did not
  // (and hide it from the client), so their tokens are counted.
  bool inject_openai_usage = false;
};

// Blocks until SIGINT/SIGTERM, then stops accepting, lets running requests
// finish for a short grace period and returns the exit code (0, or 1 when
// it could not start, e.g. the listen address is taken or invalid).
int run(const Options& options);

}  // namespace stackd::exporter
