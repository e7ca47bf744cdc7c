#pragma once
// `stackd ollama-exporter`: a metering reverse proxy in front of Ollama that
// serves Prometheus metrics on /metrics (design.md §5). Clients talk to Ollama
// through `listen`; every path is proxied to `upstream` unchanged.
#include <chrono>
#include <string>

namespace stackd::exporter {

struct Options {
  std::string upstream = "http://127.0.0.1:11434";
  std::string listen = "127.0.0.1:11435";
  std::chrono::milliseconds poll_interval{5000};
  // Ollama's parallel slots per model, for ollama_queue_depth. 0 = take
  // OLLAMA_NUM_PARALLEL from the environment, else 1 (Ollama's default).
  int num_parallel = 0;
};

// Blocks until SIGINT/SIGTERM, then stops accepting, lets running requests
// finish for a short grace period and returns the exit code (0, or 1 when
// it could not start, e.g. the listen address is taken or invalid).
int run(const Options& options);

}  // namespace stackd::exporter
