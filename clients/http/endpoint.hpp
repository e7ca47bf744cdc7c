#pragma once
// Where an HTTP peer listens: a unix socket path or a TCP host:port.
// Parsed from the URL forms users give (DOCKER_HOST, --upstream, manifest urls).
#include <cstdint>
#include <string>
#include <string_view>

namespace stackd::http {

struct Endpoint {
  enum class Kind { Unix, Tcp };
  Kind kind = Kind::Tcp;
  std::string socket_path;  // Kind::Unix
  std::string host;         // Kind::Tcp
  std::uint16_t port = 80;  // Kind::Tcp
  std::string base_path;    // path prefix from the URL, without trailing '/'

  // Accepts unix:///path, tcp://host:port, http://host[:port][/prefix].
  // Throws std::invalid_argument with a message naming the URL.
  static Endpoint parse(std::string_view url);

  // Value for the Host header.
  std::string host_header() const;
  std::string describe() const;
};

}  // namespace stackd::http
