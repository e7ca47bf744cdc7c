#include "controller/cli/manifest_input.hpp"

#include <iostream>

#include "api/v1alpha1/loader.hpp"
#include "controller/cli/command_support.hpp"

namespace stackd::cli {

void ManifestInput::add_options(CLI::App& cmd) {
  cmd.add_option("-f,--file", file, "manifest file (or the --git-* options)");
  add_allow_empty(cmd, allow_empty);
  git::add_git_options(cmd, git, /*daemon=*/false);
}

std::optional<int> ManifestInput::open(const std::string& verb) {
  if (file.empty() == git.url.empty()) {
    std::cerr << "stackd " << verb << ": give -f FILE or --git-url (with --git-path), not both\n";
    return int(kUsage);
  }
  if (!git.enabled()) return std::nullopt;
  try {
    checkout = std::make_unique<git::CliCheckout>(git);
  } catch (const std::invalid_argument& e) {
    std::cerr << "stackd " << verb << ": " << e.what() << "\n";
    return int(kUsage);
  } catch (const std::exception& e) {
    std::cerr << "stackd " << verb << ": " << e.what() << "\n";
    return int(kFailed);
  }
  file = checkout->manifest_path().string();
  std::cerr << "commit " << checkout->revision() << " of " << checkout->display_url() << "\n";
  return std::nullopt;
}

std::optional<manifest::Manifest> ManifestInput::load() const {
  try {
    return manifest::load(file, manifest::LoadOptions{.allow_empty = allow_empty});
  } catch (const manifest::ManifestError& e) {
    std::cerr << shown(e.what());
    std::cerr << "manifest " << name() << " is invalid: " << e.diagnostics().items().size() << " problem"
              << (e.diagnostics().items().size() == 1 ? "" : "s") << "; nothing was changed\n";
    return std::nullopt;
  }
}

std::string ManifestInput::shown(const std::string& message) const {
  return checkout ? checkout->relative(message) : message;
}

std::string ManifestInput::name() const {
  return checkout ? checkout->revision() + ":" + checkout->relative(file) : file;
}

}  // namespace stackd::cli
