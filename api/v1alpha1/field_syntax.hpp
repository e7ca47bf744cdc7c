#pragma once
// The syntax of individual manifest fields, checked without std::regex: its
// backtracking matcher recurses once per character and overflowed the stack
// on ~30 KB values. Every check here is a single bounded pass.
#include <cstddef>
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
// A Grafana uid: letters, digits, '-', '_', 1 to 40 characters.
bool is_grafana_uid(std::string_view s);

// A value quoted in an error message: at most 60 characters of it.
std::string shown(std::string_view value);

}  // namespace stackd::manifest
