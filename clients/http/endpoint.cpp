#include "clients/http/endpoint.hpp"

#include <charconv>
#include <stdexcept>

namespace stackd::http {

namespace {
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::uint16_t parse_port(std::string_view url, std::string_view text) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value == 0 || value > 65535)
    throw std::invalid_argument("invalid port in URL '" + std::string(url) + "'");
  return static_cast<std::uint16_t>(value);
}
}  // namespace

Endpoint Endpoint::parse(std::string_view url) {
  Endpoint ep;
  if (starts_with(url, "unix://")) {
    ep.kind = Kind::Unix;
    ep.socket_path = std::string(url.substr(7));
    if (ep.socket_path.empty() || ep.socket_path.front() != '/')
      throw std::invalid_argument("unix URL needs an absolute socket path: '" + std::string(url) + "'");
    return ep;
  }
  std::string_view rest;
  if (starts_with(url, "tcp://")) rest = url.substr(6);
  else if (starts_with(url, "http://")) rest = url.substr(7);
  else if (starts_with(url, "https://"))
    throw std::invalid_argument("https is not supported: '" + std::string(url) + "'");
  else throw std::invalid_argument("unsupported URL '" + std::string(url) + "' (use unix://, tcp:// or http://)");

  auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    ep.base_path = std::string(path);
  }
  if (hostport.empty()) throw std::invalid_argument("URL without host: '" + std::string(url) + "'");
  if (hostport.front() == '[') {  // [::1]:port
    auto close = hostport.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("bad IPv6 host in '" + std::string(url) + "'");
    ep.host = std::string(hostport.substr(1, close - 1));
    auto after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("bad host in '" + std::string(url) + "'");
      ep.port = parse_port(url, after.substr(1));
    }
  } else {
    auto colon = hostport.rfind(':');
    ep.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) ep.port = parse_port(url, hostport.substr(colon + 1));
    else if (starts_with(url, "tcp://")) ep.port = 2375;
  }
  if (ep.host.empty()) throw std::invalid_argument("URL without host: '" + std::string(url) + "'");
  return ep;
}

std::string Endpoint::host_header() const {
  if (kind == Kind::Unix) return "localhost";  // HTTP/1.1 needs a Host; the socket ignores it
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::describe() const {
  if (kind == Kind::Unix) return "unix://" + socket_path;
  return "http://" + host_header() + base_path;
}

}  // namespace stackd::http
