#pragma once
// A git remote as the user wrote it, split into what git may see (argv,
// config) and what it must not (credentials embedded in an HTTP(S) URL), and
// a redacted form for logs, /status and errors.
#include <optional>
#include <string>

namespace stackd::git {

enum class Transport { File, Git, Http, Ssh };

struct RemoteUrl {
  Transport transport = Transport::File;
  std::string url;           // what git is given: credentials removed
  std::string display;       // for people: same as url (credentials never shown)
  std::optional<std::string> username;  // from https://user:pass@host/...
  std::optional<std::string> password;  // never logged; handed to git via askpass
};

// Accepts file:// URLs and local paths (absolute or relative), git://,
// http(s)://, ssh:// and scp-like user@host:path. Throws std::invalid_argument
// with a redacted message for anything else (or an empty URL).
RemoteUrl parse_remote_url(const std::string& text);

// Removes "user:password@" (and "token@") from every URL-looking part of a
// message, e.g. git's own error text that may echo the URL.
std::string redact_urls(std::string text);

std::string transport_name(Transport t);

}  // namespace stackd::git
