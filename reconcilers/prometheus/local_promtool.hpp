#pragma once
// promtool-grade validation for `stackd validate`, which runs without a
// Prometheus container: the local promtool checks a temp copy of the files
// render_files produced.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/tar_archive.hpp"

namespace stackd::prometheus {

class PromtoolMissing : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Full path of promtool found on PATH, or nullopt.
std::optional<std::string> find_promtool();

// Runs `promtool check config` (which also checks every rule file) on a temp
// copy of `files` (members relative to "/", as render_files gives them).
// Returns promtool's output when it rejects them (naming the files as the
// container does, /etc/prometheus/stackd/...: checked_files.hpp maps them to
// the user's), nullopt when valid.
// Throws PromtoolMissing when no promtool is on PATH: the caller must say that
// rule checks were not promtool-grade rather than report success.
std::optional<std::string> check_with_local_promtool(const std::vector<TarFile>& files);

}  // namespace stackd::prometheus
