#pragma once
// For `stackd validate` and `stackd diff` with --git-*: fetch the commit the
// daemon would apply into a private temporary directory (the daemon's own
// state directory may be locked by the running daemon) and return where its
// manifest is. Blocking; the directory is removed when the object goes.
#include <filesystem>
#include <string>

#include "sources/git/git_options.hpp"

namespace stackd::git {

class CliCheckout {
 public:
  // Throws FetchError (the remote) or std::invalid_argument (the settings,
  // or PATH missing in the commit).
  explicit CliCheckout(const GitSettings& settings);
  ~CliCheckout();
  CliCheckout(const CliCheckout&) = delete;
  CliCheckout& operator=(const CliCheckout&) = delete;

  const std::filesystem::path& manifest_path() const { return manifest_; }
  const std::string& revision() const { return revision_; }  // REF@sha1:COMMIT
  const std::string& display_url() const { return display_url_; }
  // Rewrites paths of the temporary directory in a message to repository paths.
  std::string relative(const std::string& message) const;

 private:
  std::filesystem::path temp_;
  std::filesystem::path commit_dir_;
  std::filesystem::path manifest_;
  std::string revision_;
  std::string display_url_;
};

}  // namespace stackd::git
