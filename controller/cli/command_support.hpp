#pragma once
// What every CLI verb shares: exit codes (README.md "Using it"), running a coroutine
// to completion, loading a manifest with its diagnostics printed.
#include <CLI/CLI.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "clients/docker/docker_client.hpp"
#include "controller/snapshot/render_context.hpp"
#include "api/v1alpha1/units.hpp"

namespace stackd::cli {

// 3 is `diff`'s alone: changes are pending.
enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kChangesPending = 3 };

// Runs the coroutine on a fresh io_context; exceptions become exit code 1
// with the message on stderr.
int run_coroutine(std::function<boost::asio::awaitable<int>()> body);

// Runs the coroutine on a fresh io_context and returns its value; its
// exceptions reach the caller.
template <typename T>
T run_coroutine_value(std::function<boost::asio::awaitable<T>()> body) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, body(), boost::asio::use_future);
  io.run();
  return result.get();
}

// Loads and validates; on failure prints every diagnostic and returns nullopt.
std::optional<manifest::Manifest> load_manifest(const std::string& path, bool allow_empty = false);

// --allow-empty: the verbs that converge or check a stack take it alike
// (validate, diff, apply, run); `down` needs no permission to remove.
void add_allow_empty(CLI::App& cmd, bool& allow_empty);

// --state-dir's description: what is kept there and the default.
std::string state_dir_help();

// The environment variables every verb that talks to Docker or keeps state
// reads, for the end of its --help.
std::string environment_help();

// Negotiates with the engine; when it cannot be reached, prints the one
// line that says why ("error: ...") and answers false: without an engine
// there is nothing to compare against or converge, and no key is tried.
boost::asio::awaitable<bool> engine_answers(docker::Client& docker);

using snapshot::default_state_dir;

}  // namespace stackd::cli
