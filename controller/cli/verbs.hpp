#pragma once
// Each verb registers its subcommand and its options, and sets `action` to
// what runs when it is chosen.
#include <CLI/CLI.hpp>

#include <functional>

namespace stackd::cli {

using Action = std::function<int()>;

void add_validate(CLI::App& app, Action& action);
void add_diff(CLI::App& app, Action& action);
void add_render(CLI::App& app, Action& action);
void add_apply(CLI::App& app, Action& action);
void add_down(CLI::App& app, Action& action);
void add_run(CLI::App& app, Action& action);
void add_status(CLI::App& app, Action& action);
void add_healthcheck(CLI::App& app, Action& action);
void add_ollama_exporter(CLI::App& app, Action& action);

}  // namespace stackd::cli
