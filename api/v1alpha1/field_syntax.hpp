#pragma once
// The syntax of individual manifest fields, checked without std::regex: its
// backtracking matcher recurses once per character and overflowed the stack
// on ~30 KB values. Every check here is a single bounded pass.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/manifest.hpp"

namespace stackd::manifest {

inline constexpr std::size_t kMaxImageReference = 512;
inline constexpr std::size_t kMaxUrl = 2048;
inline constexpr std::size_t kMaxPath = 4096;

// repository[:tag][@digest] as Docker writes it.
bool is_image_reference(std::string_view s);
// A POSIX environment variable name, at most 256 characters.
bool is_env_name(std::string_view s);
// metadata.name: lowercase letters, digits, '-', starting with a letter or digit, at most 40.
bool is_stack_name(std::string_view s);
// A Docker network name: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}.
bool is_network_name(std::string_view s);
// An IPv4 (dotted quad) or IPv6 literal, without brackets. Host names are
// not accepted: Docker binds ports to addresses, and a name could resolve
// differently at every start.
bool is_ip_literal(const std::string& s);
// "volume-name:/container/path[:ro|:rw]" (named volumes only).
std::optional<VolumeMount> parse_volume_spec(std::string_view s);
// nullopt when `url` is scheme://host[:port][/path] with one of `schemes`;
// otherwise what is wrong with it.
std::optional<std::string> url_problem(std::string_view url, std::initializer_list<std::string_view> schemes);
// The host (without brackets) and port of a URL url_problem accepts; the
// port defaults to the scheme's (http 80, https 443).
struct UrlHostPort {
  std::string host;
  std::uint16_t port = 0;
};
UrlHostPort url_host_port(std::string_view url);
// A host that is this machine: localhost, host.docker.internal (the host as
// a container sees it), 127.0.0.0/8, ::1 and the wildcards 0.0.0.0 and ::.
bool is_local_host(std::string_view host);
// A Grafana uid: letters, digits, '-', '_', 1 to 40 characters.
bool is_grafana_uid(std::string_view s);

// A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool is_label_name(std::string_view s);
// An Alertmanager receiver name: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.
bool is_receiver_name(std::string_view s);
// host:port as Go's net.SplitHostPort reads it (an SMTP smarthost): a name of
// letters, digits, '_', '.', '-' or a bracketed IPv6 literal, and a port 1-65535.
bool is_host_port(std::string_view s);
// A whole number of 1 to 20 digits, optionally negative (a Telegram chat id).
bool is_chat_id(std::string_view s);
// A non-negative decimal number as an alert threshold: 1 to 12 digits,
// optionally '.' and 1 to 6 more (10, 0.05).
bool is_threshold_number(std::string_view s);
// A URL that can be written unquoted into a YAML rule file with a '#anchor'
// appended: no whitespace, control characters, quotes, '#', '{' or '}'.
bool is_runbook_base(std::string_view s);
// nullopt when `s` is one Alertmanager matcher that both of its parsers (the
// UTF-8 one and the classic one it falls back to) read the same way:
// a label name, one of = != =~ !~, then a value, either double-quoted (a
// backslash escapes the next character) or unquoted: printable ASCII without
// spaces or any of {}!=~,\"'`. Whitespace around each part is allowed.
// Otherwise what is wrong with it.
std::optional<std::string> matcher_problem(std::string_view s);

// A value quoted in an error message: at most 60 characters of it.
std::string shown(std::string_view value);

}  // namespace stackd::manifest
