#pragma once
// What every CLI verb shares: exit codes (README.md "Using it"), running a coroutine
// to completion, loading a manifest with its diagnostics printed.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "controller/snapshot/render_context.hpp"
#include "api/v1alpha1/units.hpp"

namespace stackd::cli {

enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2 };

// Runs the coroutine on a fresh io_context; exceptions become exit code 1
// with the message on stderr.
int run_coroutine(std::function<boost::asio::awaitable<int>()> body);

// Loads and validates; on failure prints every diagnostic and returns nullopt.
std::optional<manifest::Manifest> load_manifest(const std::string& path);

using snapshot::default_state_dir;
using snapshot::render_context;

}  // namespace stackd::cli
