#pragma once
// Credentials for a fetch, read from files only, and how they reach git
// without ever being in its argv, its environment, the disk (besides the
// user's own files) or a log:
//
//   HTTP(S): git asks GIT_ASKPASS, a tiny script stackd writes (it holds no
//   secret) that prints descriptor 3 (user) or 4 (password). Those are memfds
//   filled from the token/password file just before the fetch and inherited
//   by the git process only.
//   SSH: GIT_SSH_COMMAND names the key file and known_hosts file (paths, not
//   contents) with StrictHostKeyChecking=yes, BatchMode, no agent, no user
//   ssh config.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/git/git_process.hpp"
#include "sources/git/git_url.hpp"

namespace stackd::git {

struct GitAuth {
  std::filesystem::path token_file;     // HTTPS token (sent as the password)
  std::filesystem::path password_file;  // HTTPS password for `username`
  std::string username;                 // default "git" with a token
  std::filesystem::path ssh_key;
  std::filesystem::path known_hosts;
};

// Throws std::invalid_argument when the combination cannot work (a token
// with an ssh URL, an ssh key without known_hosts, unreadable files...).
void check_auth(const GitAuth& auth, const RemoteUrl& remote);

// Values of every secret the auth (and URL) carries, for scrubbing messages.
std::vector<std::string> auth_secrets(const GitAuth& auth, const RemoteUrl& remote);

// The descriptors and environment of one git invocation. Keeps the memfds
// open while it lives.
class CredentialHandoff {
 public:
  CredentialHandoff(const GitAuth& auth, const RemoteUrl& remote, const std::filesystem::path& askpass);
  ~CredentialHandoff();
  CredentialHandoff(const CredentialHandoff&) = delete;
  CredentialHandoff& operator=(const CredentialHandoff&) = delete;
  void add_to(ProcessSpec& spec) const;

 private:
  std::vector<std::string> env_;
  std::vector<std::pair<int, int>> fds_;
};

// Writes the askpass script (mode 0700, no secret in it) and returns its path.
std::filesystem::path write_askpass_script(const std::filesystem::path& dir);

// Reads a secret file: at most 4 KiB, trailing newlines/whitespace removed.
// Throws std::runtime_error naming the file (never its content).
std::string read_secret_file(const std::filesystem::path& file);

}  // namespace stackd::git
