// stackd run -f FILE: the daemon. Wired in controller/daemon.
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"

namespace stackd::cli {

void add_run(CLI::App&, Action&) {}

}  // namespace stackd::cli
