#pragma once
// What every CLI verb shares: exit codes (design.md §1), running a coroutine
// to completion, loading a manifest with its diagnostics printed.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "controller/manifest/manifest.hpp"
#include "reconcilers/containers/desired_state.hpp"

namespace stackd::cli {

enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2 };

// Runs the coroutine on a fresh io_context; exceptions become exit code 1
// with the message on stderr.
int run_coroutine(std::function<boost::asio::awaitable<int>()> body);

// Loads and validates; on failure prints every diagnostic and returns nullopt.
std::optional<manifest::Manifest> load_manifest(const std::string& path);

// Where stackd keeps what must survive restarts (the generated Grafana
// password): --state-dir, $STACKD_STATE_DIR, /var/lib/stackd as root, else
// $XDG_STATE_HOME/stackd or ~/.local/state/stackd.
std::string default_state_dir();

// Everything rendering needs that is not in the manifest. May generate and
// store the Grafana password (logged by path, never by value).
containers::RenderContext render_context(const manifest::Manifest& m, const std::string& state_dir);

bool stdout_is_terminal();

}  // namespace stackd::cli
