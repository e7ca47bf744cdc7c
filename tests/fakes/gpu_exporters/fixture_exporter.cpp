// A GPU exporter for tests where no GPU is: serves a fixture exposition, in
// the real exporter's own output format, at /metrics, and takes the real
// exporter's listen flag, so the command stackd renders is checked against
// the flag names of the exporter it stands for:
//   fixture-exporter --fixture FILE --as dcgm        --address=HOST:PORT          (dcgm-exporter)
//   fixture-exporter --fixture FILE --as nvidia-smi  --web.listen-address=HOST:PORT (nvidia_gpu_exporter)
// Any other argument is refused, as the real exporters refuse unknown flags.
//
// A counter in the fixture may be written `BASE+RATE/s` (the value only):
// it is served as BASE + RATE x the seconds since start, so an energy
// counter grows at the card's power as a real one does. Everything else is
// served byte for byte.
//
// The product never depends on this program.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// One line with a growing value replaced by its value now.
std::string render_line(const std::string& line, double seconds) {
  if (line.empty() || line[0] == '#') return line;
  const auto space = line.rfind(' ');
  if (space == std::string::npos) return line;
  const std::string value = line.substr(space + 1);
  const auto plus = value.find('+');
  if (plus == std::string::npos || plus == 0 || value.size() < 3 || value.compare(value.size() - 2, 2, "/s") != 0)
    return line;
  const double base = std::stod(value.substr(0, plus));
  const double rate = std::stod(value.substr(plus + 1, value.size() - plus - 3));
  char buf[64];
  // A whole-number counter (dcgm-exporter's millijoules) stays whole.
  if (value.find('.') == std::string::npos) std::snprintf(buf, sizeof buf, "%.0f", base + rate * seconds);
  else std::snprintf(buf, sizeof buf, "%.17g", base + rate * seconds);
  return line.substr(0, space + 1) + buf;
}

std::string render(const std::string& fixture, double seconds) {
  std::istringstream in(fixture);
  std::string out, line;
  while (std::getline(in, line)) out += render_line(line, seconds) + "\n";
  return out;
}

int usage(const std::string& why) {
  std::cerr << "fixture-exporter: " << why
            << "\nusage: fixture-exporter --fixture FILE --as dcgm --address=HOST:PORT\n"
               "       fixture-exporter --fixture FILE --as nvidia-smi --web.listen-address=HOST:PORT\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string fixture_path, as, listen;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value_of = [&](const std::string& flag) -> std::string {
      if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < argc) return argv[++i];
      return "";
    };
    if (auto v = value_of("--fixture"); !v.empty()) fixture_path = v;
    else if (auto v = value_of("--as"); !v.empty()) as = v;
    else if (auto v = value_of("--address"); !v.empty() && as == "dcgm") listen = v;
    else if (auto v = value_of("-a"); !v.empty() && as == "dcgm") listen = v;
    else if (auto v = value_of("--web.listen-address"); !v.empty() && as == "nvidia-smi") listen = v;
    else return usage("unknown flag " + a + " for " + (as.empty() ? "an exporter not yet named by --as" : as));
  }
  if (as != "dcgm" && as != "nvidia-smi") return usage("--as dcgm or --as nvidia-smi is required");
  if (listen.empty()) listen = as == "dcgm" ? ":9400" : ":9835";  // the real exporters' defaults
  std::ifstream in(fixture_path);
  if (!in) return usage("cannot read the fixture " + fixture_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string fixture = ss.str();

  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));

  net::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address(host), port));
  const auto started = std::chrono::steady_clock::now();
  std::cout << "fixture " << as << " exporter on " << acceptor.local_endpoint() << " serving " << fixture_path
            << std::endl;
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    // One thread a connection: Prometheus keeps its connection open between scrapes.
    std::thread([&fixture, started, socket = std::move(socket)]() mutable {
      beast::flat_buffer buffer;
      beast::error_code ec;
      for (;;) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        if (req.target() == "/metrics") {
          const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          res.result(http::status::ok);
          res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
          res.body() = render(fixture, seconds);
        } else {
          res.result(http::status::not_found);
          res.body() = "404 page not found\n";
        }
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !req.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }).detach();
  }
}
