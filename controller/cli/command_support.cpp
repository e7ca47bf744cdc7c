#include "controller/cli/command_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/v1alpha1/loader.hpp"

namespace stackd::cli {

namespace net = boost::asio;

int run_coroutine(std::function<net::awaitable<int>()> body) {
  net::io_context io;
  auto result = net::co_spawn(io, body(), net::use_future);
  io.run();
  try {
    return result.get();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kFailed;
  }
}

std::optional<manifest::Manifest> load_manifest(const std::string& path) {
  try {
    return manifest::load(path);
  } catch (const manifest::ManifestError& e) {
    std::cerr << e.what();
    std::cerr << "manifest " << path << " is invalid: " << e.diagnostics().items().size() << " problem"
              << (e.diagnostics().items().size() == 1 ? "" : "s") << "; nothing was changed\n";
    return std::nullopt;
  }
}


}  // namespace stackd::cli
