#pragma once
// State directories hold secrets (a generated Grafana password, applied
// state): only the user stackd runs as may list or enter them.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace stackd {

// The state directory cannot be created or written (read-only, full, owned
// by another user): not the manifest's fault, and the message says what to
// do about it.
class StateDirectoryError : public std::runtime_error {
 public:
  StateDirectoryError(const std::filesystem::path& path, const std::string& reason);
};

// Creates `dir` and any missing parents with mode 0700 and makes sure `dir`
// itself is 0700 (an existing one that is wider is narrowed). Throws
// StateDirectoryError on failure.
void create_private_directories(const std::filesystem::path& dir);

}  // namespace stackd
