#pragma once
// Where `validate` and `diff` read the manifest from: -f FILE, or the
// --git-* options, which check out the commit the daemon would apply into a
// temporary directory (sources/git/git_cli_checkout.hpp). Messages about a
// commit's files name them as they are in the repository.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "sources/git/git_cli_checkout.hpp"
#include "sources/git/git_options.hpp"

namespace stackd::cli {

struct ManifestInput {
  std::string file;
  bool allow_empty = false;  // --allow-empty, as spec.allowEmpty
  git::GitSettings git;
  std::unique_ptr<git::CliCheckout> checkout;  // set by open() with --git-*

  // Adds -f and the --git-* options of the one-shot verbs.
  void add_options(CLI::App& cmd);
  // Checks that exactly one source is given and, for git, fetches the
  // commit; afterwards `file` is the manifest to read. nullopt when ready,
  // else the exit code (the reason is on stderr).
  std::optional<int> open(const std::string& verb);
  // The manifest, or nullopt with its problems on stderr (repository paths
  // for a commit).
  std::optional<manifest::Manifest> load() const;
  // `message` with the checkout's temporary paths made repository-relative.
  std::string shown(const std::string& message) const;
  // The manifest's name for messages: FILE, or REF@sha1:COMMIT:PATH.
  std::string name() const;
};

}  // namespace stackd::cli
