#pragma once
// The exporter's command-line flags, shared by `stackd ollama-exporter` and
// the standalone stackd-ollama-exporter binary so both take the same ones.
#include <CLI/CLI.hpp>

#include "exporter/ollama_exporter.hpp"

namespace stackd::exporter {

// Adds --upstream, --listen, --poll-interval-ms, --num-parallel,
// --max-connections, --upstream-timeout-ms and --openai-usage to `app`,
// writing into `options` (which must outlive parsing).
void add_flags(CLI::App& app, Options& options);

}  // namespace stackd::exporter
