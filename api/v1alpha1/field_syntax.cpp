#include "api/v1alpha1/field_syntax.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace stackd::manifest {

namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool digit(char c) { return c >= '0' && c <= '9'; }

template <class Pred>
bool all_of(std::string_view s, Pred p) {
  return std::all_of(s.begin(), s.end(), p);
}

// [A-Za-z0-9][A-Za-z0-9_.-]{0,max-1}: Docker network and Alertmanager receiver names.
bool is_dotted_name(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || !alnum(s[0])) return false;
  return all_of(s, [](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_digits(std::string_view s, std::size_t min, std::size_t max) {
  return s.size() >= min && s.size() <= max && all_of(s, digit);
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

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

bool is_network_name(std::string_view s) { return is_dotted_name(s, 63); }

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

UrlHostPort url_host_port(std::string_view url) {
  UrlHostPort out;
  auto sep = url.find("://");
  auto scheme = url.substr(0, sep);
  out.port = scheme == "https" ? 443 : 80;
  auto rest = sep == std::string_view::npos ? url : url.substr(sep + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    out.host = std::string(authority.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (!port.empty() && ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535)
    out.port = static_cast<std::uint16_t>(value);
  return out;
}

bool is_local_host(std::string_view host) {
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  return h == "localhost" || h == "host.docker.internal" || h == "::1" || h == "::" || h == "0.0.0.0" ||
         (h.starts_with("127.") && is_ip_literal(h));
}

bool is_grafana_uid(std::string_view s) {
  return !s.empty() && s.size() <= 40 && all_of(s, [](char c) { return alnum(c) || c == '-' || c == '_'; });
}

bool is_label_name(std::string_view s) {
  if (s.empty() || digit(s[0])) return false;
  return all_of(s, [](char c) { return alnum(c) || c == '_'; });
}

bool is_receiver_name(std::string_view s) { return is_dotted_name(s, 63); }

bool is_host_port(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto host = s.substr(0, colon), port = s.substr(colon + 1);
  if (!is_digits(port, 1, 5) || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) return false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto ip = host.substr(1, host.size() - 2);
    return ip.find(':') != std::string_view::npos && is_ip_literal(std::string(ip));
  }
  return !host.empty() && all_of(host, [](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_chat_id(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return is_digits(s, 1, 20);
}

bool is_threshold_number(std::string_view s) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos) return is_digits(s, 1, 12);
  return is_digits(s.substr(0, dot), 1, 12) && is_digits(s.substr(dot + 1), 1, 6);
}

bool is_runbook_base(std::string_view s) {
  return !s.empty() && all_of(s, [](char c) {
    return c != ' ' && !is_control(c) && c != '"' && c != '\'' && c != '#' && c != '{' && c != '}';
  });
}

std::optional<std::string> matcher_problem(std::string_view s) {
  if (std::any_of(s.begin(), s.end(), [](char c) { return is_control(c) && c != '\t'; }))
    return "it contains a control character";
  std::size_t i = 0;
  auto skip_blanks = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  auto at = [&](char c) { return i < s.size() && s[i] == c; };

  skip_blanks();
  const auto name_start = i;
  while (i < s.size() && (alnum(s[i]) || s[i] == '_')) ++i;
  if (!is_label_name(s.substr(name_start, i - name_start)))
    return "it must start with a label name (letters, digits and '_', not a digit first)";
  skip_blanks();
  if (at('=')) {
    ++i;
    if (at('~')) ++i;
  } else if (at('!') && i + 1 < s.size() && (s[i + 1] == '=' || s[i + 1] == '~')) {
    i += 2;
  } else {
    return "the label name must be followed by =, !=, =~ or !~";
  }
  skip_blanks();
  if (i == s.size()) return "it has no value (an empty one is written \"\")";
  const bool quoted = at('"');
  if (quoted) {
    bool closed = false;
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\') {
        if (++i == s.size()) break;
      } else if (s[i] == '"') {
        closed = true;
        ++i;
        break;
      }
    }
    if (!closed) return "its quoted value has no closing '\"'";
  } else {
    auto reserved = [](char c) {
      return c == ' ' || c == '\t' || static_cast<unsigned char>(c) >= 0x80 ||
             std::string_view("{}!=~,\\\"'`").find(c) != std::string_view::npos;
    };
    while (i < s.size() && !reserved(s[i])) ++i;
  }
  skip_blanks();
  if (i != s.size())
    return quoted ? "there is text after its quoted value"
                  : "quote a value with spaces, non-ASCII characters or any of {}!=~,\\\"'`";
  return std::nullopt;
}

std::string shown(std::string_view value) {
  if (value.size() <= 60) return std::string(value);
  return std::string(value.substr(0, 60)) + "... (" + std::to_string(value.size()) + " bytes)";
}

}  // namespace stackd::manifest
