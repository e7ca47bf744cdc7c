#pragma once
// The --git-* settings of `stackd run`, `diff` and `validate` (design.md §1),
// each also read from an environment variable (STACKD_GIT_URL, ...), and the
// checks that turn them into a repository and source configuration with one
// clear message per mistake. The daemon config file (--config, TOML or INI,
// keys named like the long options: git-url = "...") comes from CLI11.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "sources/git/git_repository.hpp"
#include "sources/git/git_source.hpp"

namespace stackd::git {

struct GitSettings {
  std::string url;
  std::string ref = "main";
  std::string path;
  std::string interval = "60s";
  std::string timeout = "60s";       // one fetch, at most
  std::string max_size = "256MiB";   // one fetch writes at most this much per file
  std::string token_file;
  std::string password_file;
  std::string username;
  std::string ssh_key;
  std::string known_hosts;
  std::string webhook_secret_file;
  bool enabled() const { return !url.empty(); }
};

// Adds the options to `cmd`. `daemon` adds those only the daemon uses
// (--git-interval, --webhook-secret-file).
void add_git_options(CLI::App& cmd, GitSettings& settings, bool daemon);

// Adds --config FILE (env STACKD_CONFIG): every long option of cmd may be
// set there.
void add_daemon_config_file(CLI::App& cmd);

struct GitSourceSettings {
  GitRepositoryConfig repository;
  GitSourceConfig source;
  std::string path;  // the manifest inside the repository
  std::optional<std::string> webhook_secret;  // loaded from --webhook-secret-file
};

// Validates the combination and reads the webhook secret. The repository
// lives under <state_dir>/git/<hash of URL and ref>. Throws
// std::invalid_argument naming the option at fault (never a secret).
GitSourceSettings resolve_git_settings(const GitSettings& settings, const std::filesystem::path& state_dir);

}  // namespace stackd::git
