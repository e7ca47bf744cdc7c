#include "sources/git/git_url.hpp"

#include <cctype>
#include <filesystem>
#include <stdexcept>

namespace stackd::git {
namespace {

// Percent-decoding of userinfo (a password may contain '@' as %40).
std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool has_control_characters(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::string transport_name(Transport t) {
  switch (t) {
    case Transport::File: return "file";
    case Transport::Git: return "git";
    case Transport::Http: return "http";
    case Transport::Ssh: return "ssh";
  }
  return "?";
}

std::string redact_urls(std::string text) {
  // scheme://userinfo@  →  scheme://, in one forward pass: the text is git's
  // output, which a remote can make arbitrarily long.
  auto scheme_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-'; };
  auto userinfo_char = [](char c) {
    return c != '/' && c != '@' && c != '\'' && c != '"' && !std::isspace(static_cast<unsigned char>(c));
  };
  std::string out;
  std::size_t copied = 0;
  for (auto sep = text.find("://"); sep != std::string::npos; sep = text.find("://", sep + 1)) {
    // A scheme ends at `sep`: [A-Za-z][A-Za-z0-9+.-]*
    bool scheme = false;
    for (auto i = sep; i > copied && scheme_char(text[i - 1]); --i)
      scheme = scheme || std::isalpha(static_cast<unsigned char>(text[i - 1]));
    if (!scheme) continue;
    auto at = sep + 3;
    while (at < text.size() && userinfo_char(text[at])) ++at;
    if (at == text.size() || text[at] != '@') continue;
    out.append(text, copied, sep + 3 - copied);
    copied = at + 1;
    sep = at;
  }
  if (copied == 0) return text;
  out.append(text, copied);
  return out;
}

RemoteUrl parse_remote_url(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("git URL is empty");
  if (text.size() > 4096 || has_control_characters(text))
    throw std::invalid_argument("git URL is too long or contains control characters");
  // Never let a URL be read as an option of git ("--upload-pack=...").
  if (text.front() == '-') throw std::invalid_argument("git URL must not start with '-'");
  RemoteUrl r;
  auto scheme_end = text.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = text.substr(0, scheme_end);
    std::string rest = text.substr(scheme_end + 3);
    if (scheme == "file") r.transport = Transport::File;
    else if (scheme == "git") r.transport = Transport::Git;
    else if (scheme == "http" || scheme == "https") r.transport = Transport::Http;
    else if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git") r.transport = Transport::Ssh;
    else throw std::invalid_argument("git URL scheme '" + scheme + "' is not supported (file, git, http, https, ssh)");
    auto authority_end = rest.find('/');
    std::string authority = rest.substr(0, authority_end);
    auto at = authority.rfind('@');
    if (at != std::string::npos) {
      std::string userinfo = authority.substr(0, at);
      auto colon = userinfo.find(':');
      if (r.transport == Transport::Http) {
        // Credentials leave the URL: git gets them through askpass.
        r.username = percent_decode(userinfo.substr(0, colon));
        if (colon != std::string::npos) r.password = percent_decode(userinfo.substr(colon + 1));
        rest = rest.substr(at + 1);
      } else if (r.transport == Transport::Ssh) {
        // ssh://user@host keeps the user (no secret); a password is refused:
        // SSH authenticates with the key file only.
        if (colon != std::string::npos)
          throw std::invalid_argument("ssh git URL must not contain a password; use --git-ssh-key");
      } else {
        throw std::invalid_argument(scheme + ":// git URL must not contain credentials");
      }
    }
    r.url = scheme + "://" + rest;
  } else {
    // scp-like "user@host:path" (a ':' before any '/'), else a local path.
    auto colon = text.find(':');
    auto slash = text.find('/');
    if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) {
      r.transport = Transport::Ssh;
      auto user_end = text.find('@');
      if (user_end != std::string::npos && user_end < colon && text.substr(0, user_end).find(':') != std::string::npos)
        throw std::invalid_argument("ssh git URL must not contain a password; use --git-ssh-key");
      r.url = text;
    } else {
      r.transport = Transport::File;
      r.url = "file://" + std::filesystem::absolute(text).lexically_normal().string();
    }
  }
  r.display = redact_urls(r.url);
  return r;
}

}  // namespace stackd::git
