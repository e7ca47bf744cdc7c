#include "api/v1alpha1/field_syntax.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace stackd::manifest {

namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

template <class Pred>
bool all_of(std::string_view s, Pred p) {
  return std::all_of(s.begin(), s.end(), p);
}

}  // namespace

bool is_image_reference(std::string_view s) {
  if (s.empty() || s.size() > kMaxImageReference || !alnum(s[0])) return false;
  return all_of(s, [](char c) { return alnum(c) || c == '.' || c == '_' || c == '/' || c == ':' || c == '@' || c == '-'; });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || s.size() > 256 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return all_of(s, [](char c) { return alnum(c) || c == '_'; });
}

bool is_stack_name(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return lower_or_digit(s[0]) && all_of(s, [&](char c) { return lower_or_digit(c) || c == '-'; });
}

bool is_network_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s[0])) return false;
  return all_of(s, [](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_ip_literal(const std::string& s) {
  if (s.empty() || s.size() > 45) return false;
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::optional<VolumeMount> parse_volume_spec(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto name = s.substr(0, colon);
  if (name.empty() || name.size() > 255 || !alnum(name[0]) ||
      !all_of(name, [](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; }))
    return std::nullopt;
  auto rest = s.substr(colon + 1);
  auto second = rest.find(':');
  auto target = rest.substr(0, second);
  if (target.empty() || target[0] != '/' || target.size() > kMaxPath) return std::nullopt;
  if (!all_of(target, [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; })) return std::nullopt;
  bool read_only = false;
  if (second != std::string_view::npos) {
    auto mode = rest.substr(second + 1);
    if (mode == "ro") read_only = true;
    else if (mode != "rw") return std::nullopt;
  }
  return VolumeMount{std::string(name), std::string(target), read_only};
}

std::optional<std::string> url_problem(std::string_view url, std::initializer_list<std::string_view> schemes) {
  if (url.size() > kMaxUrl) return "is longer than " + std::to_string(kMaxUrl) + " characters";
  auto sep = url.find("://");
  std::string allowed;
  for (auto s : schemes) allowed += (allowed.empty() ? "" : " or ") + std::string(s) + "://";
  if (sep == std::string_view::npos ||
      std::none_of(schemes.begin(), schemes.end(), [&](std::string_view s) { return url.substr(0, sep) == s; }))
    return "must start with " + allowed;
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "must not contain spaces or control characters";
  auto rest = url.substr(sep + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return "must not carry credentials (user@host)";
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "has an unclosed '[' in its host";
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "has characters after its IPv6 host";
      port = after.substr(1);
    }
    if (!is_ip_literal(std::string(host))) return "has an invalid IPv6 host";
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return "has no host";
    if (!all_of(host, [](char c) { return alnum(c) || c == '.' || c == '-' || c == '_'; }))
      return "has an invalid host";
  }
  if (authority.find(':') != std::string_view::npos && authority.back() != ']') {
    if (port.empty() || port.size() > 5 || !all_of(port, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
      return "has an invalid port";
  }
  return std::nullopt;
}

bool is_grafana_uid(std::string_view s) {
  return !s.empty() && s.size() <= 40 && all_of(s, [](char c) { return alnum(c) || c == '-' || c == '_'; });
}

std::string shown(std::string_view value) {
  if (value.size() <= 60) return std::string(value);
  return std::string(value.substr(0, 60)) + "... (" + std::to_string(value.size()) + " bytes)";
}

}  // namespace stackd::manifest
