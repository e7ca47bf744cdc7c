// stackd-fake-grafana: a Grafana stand-in for tests, configured the way the
// Grafana image is (environment variables), so stackd runs and manages it
// exactly like Grafana:
//   GF_SERVER_HTTP_ADDR, GF_SERVER_HTTP_PORT (0 = any free port)
//   GF_SECURITY_ADMIN_USER
//   GF_SECURITY_ADMIN_PASSWORD or GF_SECURITY_ADMIN_PASSWORD__FILE
//   GF_PATHS_DATA                          state survives restarts here
//   GF_DASHBOARDS_VERSIONS_TO_KEEP         default 20
// Fake-only knobs (no Grafana equivalent):
//   FAKE_GRAFANA_UNIQUE_TITLES=true        behave like Grafana <= 11.2 (name-exists)
//   FAKE_GRAFANA_API_TOKEN                 a service-account token accepted as Bearer
// Like Grafana, the admin password from the environment only seeds a new
// data directory; afterwards it changes through the API.
// Prints "listening on ADDR:PORT" once it accepts connections.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/fakes/grafana/fake_grafana_server.hpp"

using namespace stackd::fakes::grafana;

namespace {

std::string env(const char* name, std::string dflt = "") {
  const char* v = std::getenv(name);
  return v ? std::string(v) : dflt;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Grafana's __FILE expansion reads the file and trims surrounding whitespace.
std::string read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read GF_SECURITY_ADMIN_PASSWORD__FILE " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return trim(ss.str().substr(0, 64 * 1024));
}

}  // namespace

int main() {
  try {
    StoreOptions so;
    so.admin_user = env("GF_SECURITY_ADMIN_USER", "admin");
    if (auto f = env("GF_SECURITY_ADMIN_PASSWORD__FILE"); !f.empty()) so.admin_password = read_secret_file(f);
    else so.admin_password = env("GF_SECURITY_ADMIN_PASSWORD", "admin");
    so.unique_titles = env("FAKE_GRAFANA_UNIQUE_TITLES") == "true";
    so.versions_to_keep = std::stoi(env("GF_DASHBOARDS_VERSIONS_TO_KEEP", "20"));

    ServerOptions opts;
    opts.address = env("GF_SERVER_HTTP_ADDR", "0.0.0.0");
    opts.port = static_cast<std::uint16_t>(std::stoi(env("GF_SERVER_HTTP_PORT", "3000")));
    opts.data_dir = env("GF_PATHS_DATA");
    opts.api_token = env("FAKE_GRAFANA_API_TOKEN");

    Store store(so);
    load_state(store, opts.data_dir);

    boost::asio::io_context io;
    Server server(io, store, opts);
    server.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
      server.stop();
      io.stop();
    });
    std::cout << "listening on " << (opts.address.empty() ? "0.0.0.0" : opts.address) << ":" << server.port()
              << std::endl;
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fake-grafana: " << e.what() << std::endl;
    return 1;
  }
}
