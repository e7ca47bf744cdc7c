// stackd-fake-grafana: a Grafana stand-in for tests, configured the way the
// Grafana image is (environment variables), so stackd runs and manages it
// exactly like Grafana:
//   GF_SERVER_HTTP_ADDR, GF_SERVER_HTTP_PORT (0 = any free port)
//   GF_SECURITY_ADMIN_USER
//   GF_SECURITY_ADMIN_PASSWORD or GF_SECURITY_ADMIN_PASSWORD__FILE
//   GF_PATHS_DATA                          state survives restarts here
//   GF_DASHBOARDS_VERSIONS_TO_KEEP         default 20
//   GF_AUTH_BASIC_ENABLED=false            basic auth refused (tokens only)
//   GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION=true
//   GF_<ANY>__FILE                         as the image's entrypoint
//                                          (packaging/docker/run.sh): the file's
//                                          content minus trailing newlines; exit 1
//                                          when GF_X is set too
// Fake-only knobs (no Grafana equivalent):
//   --version 10.4|11.3|12.0 or FAKE_GRAFANA_VERSION   which release to behave
//                                          like (grafana_version.hpp); default 11.3
//   FAKE_GRAFANA_UNIQUE_TITLES=true|false  force the <= 11.2 title rule on or off
//   FAKE_GRAFANA_API_TOKEN                 a service-account token accepted as Bearer
//   FAKE_GRAFANA_WRITE_DELAY_MS            each POST/PUT/PATCH/DELETE waits this long
//                                          first (a slow Grafana, to act mid-sync)
//   FAKE_GRAFANA_STARTUP_DELAY_MS          waits this long before it listens, as
//                                          Grafana does while it migrates its
//                                          database on a first start
// Like Grafana, the admin password from the environment only seeds a new
// data directory; afterwards it changes through the API.
// Prints "listening on ADDR:PORT" once it accepts connections.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <map>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/fakes/grafana/fake_grafana_server.hpp"

extern char** environ;

using namespace stackd::fakes::grafana;

namespace {

// The environment after the entrypoint's __FILE expansion.
std::map<std::string, std::string> environment;

std::string env(const char* name, std::string dflt = "") {
  auto it = environment.find(name);
  return it != environment.end() ? it->second : dflt;
}

// packaging/docker/run.sh: for each GF_X__FILE=path (non-empty), refuse a
// non-empty GF_X ("Both ... are set (but are exclusive)", exit 1), else
// export GF_X="$(cat path)": shell command substitution drops trailing
// newlines only; other whitespace is kept.
void expand_file_variables() {
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) environment[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  const std::string suffix = "__FILE";
  auto copy = environment;
  for (const auto& [key, path] : copy) {
    if (key.rfind("GF_", 0) != 0 || key.size() <= suffix.size() + 3 || path.empty() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string var = key.substr(0, key.size() - suffix.size());
    if (!env(var.c_str()).empty()) {
      std::cerr << "ERROR: Both " << var << " and " << key << " are set (but are exclusive)" << std::endl;
      std::exit(1);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "cat: " << path << ": No such file or directory" << std::endl;
      std::exit(1);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string value = ss.str().substr(0, 64 * 1024);
    while (!value.empty() && value.back() == '\n') value.pop_back();
    std::cerr << "Getting secret " << var << " from " << path << std::endl;  // stdout: "listening on" first
    environment[var] = value;
    environment.erase(key);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    expand_file_variables();
    StoreOptions so;
    std::string version = env("FAKE_GRAFANA_VERSION", "11.3");
    for (int i = 1; i + 1 < argc; ++i)
      if (std::string(argv[i]) == "--version") version = argv[i + 1];
    auto parsed = parse_grafana_version(version);
    if (!parsed) throw std::runtime_error("unknown --version " + version + " (10.4, 11.0, 11.3 or 12.0)");
    so.version = *parsed;
    so.admin_user = env("GF_SECURITY_ADMIN_USER", "admin");
    so.admin_password = env("GF_SECURITY_ADMIN_PASSWORD", "admin");
    if (auto u = env("FAKE_GRAFANA_UNIQUE_TITLES"); !u.empty()) so.unique_titles = u == "true";
    so.brute_force_protection = env("GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION") != "true";
    so.versions_to_keep = std::stoi(env("GF_DASHBOARDS_VERSIONS_TO_KEEP", "20"));

    ServerOptions opts;
    opts.address = env("GF_SERVER_HTTP_ADDR", "0.0.0.0");
    opts.port = static_cast<std::uint16_t>(std::stoi(env("GF_SERVER_HTTP_PORT", "3000")));
    opts.data_dir = env("GF_PATHS_DATA");
    opts.api_token = env("FAKE_GRAFANA_API_TOKEN");
    opts.basic_auth_enabled = env("GF_AUTH_BASIC_ENABLED", "true") != "false";
    opts.write_delay = std::chrono::milliseconds(std::stoi(env("FAKE_GRAFANA_WRITE_DELAY_MS", "0")));

    Store store(so);
    load_state(store, opts.data_dir);
    if (auto delay = std::stoi(env("FAKE_GRAFANA_STARTUP_DELAY_MS", "0")); delay > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));

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
