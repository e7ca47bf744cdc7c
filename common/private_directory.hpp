#pragma once
// State directories hold secrets (a generated Grafana password, applied
// state): only the user stackd runs as may list or enter them.
#include <filesystem>

namespace stackd {

// Creates `dir` and any missing parents with mode 0700 and makes sure `dir`
// itself is 0700 (an existing one that is wider is narrowed). Throws
// std::filesystem::filesystem_error on failure.
void create_private_directories(const std::filesystem::path& dir);

}  // namespace stackd
