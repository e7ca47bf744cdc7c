#pragma once
// Running a component's own checker (promtool, amtool) on this machine, for
// `stackd validate`, which runs without the component's container: the
// files it would receive are written to a private temp directory, the
// checker runs on them without a shell, and its output names them as the
// container would see them (the temp directory cut out).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/tar_archive.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"

namespace stackd::live_config {

// The full path of `program` on PATH, or nullopt.
std::optional<std::string> find_on_path(const std::string& program);

struct CheckerRun {
  int exit_code = 0;
  std::string output;  // stdout and stderr together, bounded (64 KiB), temp paths removed
};

// Writes `files` (members relative to "/", as render_files gives them) into
// a temp directory and runs `argv` there; "{}" at the start of an argument
// becomes that directory, so "{}/etc/alertmanager/stackd/alertmanager.yml"
// names a delivered file. The directory is removed afterwards.
CheckerRun run_local_checker(const std::vector<TarFile>& files, std::vector<std::string> argv);

class CheckerMissing : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The checker a reload policy runs inside the container (amtool
// check-config, promtool check config), run here on `files` (the set's
// files, members relative to "/"): nullopt when it accepts them, else its
// output, naming the files as the container would. Throws CheckerMissing
// when that program is not on PATH.
std::optional<std::string> check_with_local_checker(const ReloadPolicy& policy, const std::vector<TarFile>& files);

}  // namespace stackd::live_config
