#include "sources/git/git_auth.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace stackd::git {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxSecretBytes = 4096;
constexpr int kUserFd = 3;
constexpr int kPasswordFd = 4;

int memfd_with(const char* name, const std::string& content) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw std::system_error(e, std::generic_category(), "write memfd");
    }
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

// GIT_SSH_COMMAND is run by a shell: quote paths, refuse the one character
// single quotes cannot carry.
std::string shell_quote(const fs::path& p) {
  auto s = p.string();
  if (s.find('\'') != std::string::npos) throw std::invalid_argument("path must not contain a single quote: " + s);
  return "'" + s + "'";
}

void require_readable(const fs::path& file, const char* what) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(std::string(what) + " " + file.string() + " cannot be read");
}

}  // namespace

std::string read_secret_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string content(kMaxSecretBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxSecretBytes) throw std::runtime_error(file.string() + " is larger than 4 KiB");
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back()))) content.pop_back();
  if (content.empty()) throw std::runtime_error(file.string() + " is empty");
  if (content.find('\n') != std::string::npos) throw std::runtime_error(file.string() + " must hold one line");
  return content;
}

void check_auth(const GitAuth& auth, const RemoteUrl& remote) {
  const bool http_secret = !auth.token_file.empty() || !auth.password_file.empty();
  if (!auth.token_file.empty() && !auth.password_file.empty())
    throw std::invalid_argument("give --git-token-file or --git-password-file, not both");
  if (http_secret && !auth.ssh_key.empty())
    throw std::invalid_argument("give --git-token-file or --git-ssh-key, not both");
  if (http_secret && remote.transport != Transport::Http)
    throw std::invalid_argument("--git-token-file/--git-password-file need an http(s) git URL");
  if (http_secret && remote.password)
    throw std::invalid_argument("the git URL carries a password and a token/password file is given: choose one");
  if (!auth.password_file.empty() && auth.username.empty())
    throw std::invalid_argument("--git-password-file needs --git-username");
  if (!auth.ssh_key.empty() && remote.transport != Transport::Ssh)
    throw std::invalid_argument("--git-ssh-key needs an ssh git URL");
  if (remote.transport == Transport::Ssh && auth.known_hosts.empty())
    // No "accept any host key" default: the user names the hosts to trust.
    throw std::invalid_argument("an ssh git URL needs --git-known-hosts (host keys are always checked)");
  if (!auth.known_hosts.empty() && remote.transport != Transport::Ssh)
    throw std::invalid_argument("--git-known-hosts needs an ssh git URL");
  if (!auth.token_file.empty()) require_readable(auth.token_file, "--git-token-file");
  if (!auth.password_file.empty()) require_readable(auth.password_file, "--git-password-file");
  if (!auth.ssh_key.empty()) {
    require_readable(auth.ssh_key, "--git-ssh-key");
    shell_quote(auth.ssh_key);
  }
  if (!auth.known_hosts.empty()) {
    require_readable(auth.known_hosts, "--git-known-hosts");
    shell_quote(auth.known_hosts);
  }
}

std::vector<std::string> auth_secrets(const GitAuth& auth, const RemoteUrl& remote) {
  std::vector<std::string> out;
  if (remote.password && !remote.password->empty()) out.push_back(*remote.password);
  for (const auto* f : {&auth.token_file, &auth.password_file}) {
    if (f->empty()) continue;
    try {
      out.push_back(read_secret_file(*f));
    } catch (const std::exception&) {
    }
  }
  return out;
}

CredentialHandoff::CredentialHandoff(const GitAuth& auth, const RemoteUrl& remote, const fs::path& askpass) {
  // Never prompt on a terminal, never ask a desktop helper.
  env_.push_back("GIT_TERMINAL_PROMPT=0");
  env_.push_back("SSH_ASKPASS=/bin/false");
  if (remote.transport == Transport::Http) {
    std::optional<std::string> user = remote.username, password = remote.password;
    if (!auth.token_file.empty()) {
      password = read_secret_file(auth.token_file);
      user = auth.username.empty() ? std::string("git") : auth.username;
    } else if (!auth.password_file.empty()) {
      password = read_secret_file(auth.password_file);
      user = auth.username;
    }
    if (password) {
      fds_.emplace_back(memfd_with("stackd-git-user", user.value_or("git")), kUserFd);
      fds_.emplace_back(memfd_with("stackd-git-password", *password), kPasswordFd);
      env_.push_back("GIT_ASKPASS=" + askpass.string());
    } else {
      env_.push_back("GIT_ASKPASS=/bin/false");
    }
  } else {
    env_.push_back("GIT_ASKPASS=/bin/false");
  }
  if (remote.transport == Transport::Ssh) {
    std::string command = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o IdentityAgent=none"
                          " -o ConnectTimeout=15 -o ServerAliveInterval=10 -o ServerAliveCountMax=3";
    if (!auth.known_hosts.empty())
      command += " -o UserKnownHostsFile=" + shell_quote(auth.known_hosts) + " -o GlobalKnownHostsFile=/dev/null";
    if (!auth.ssh_key.empty()) command += " -o IdentitiesOnly=yes -i " + shell_quote(auth.ssh_key);
    env_.push_back("GIT_SSH_COMMAND=" + command);
    env_.push_back("GIT_SSH_VARIANT=ssh");
  }
}

CredentialHandoff::~CredentialHandoff() {
  for (auto [fd, _] : fds_) ::close(fd);
}

void CredentialHandoff::add_to(ProcessSpec& spec) const {
  spec.env.insert(spec.env.end(), env_.begin(), env_.end());
  spec.inherit.insert(spec.inherit.end(), fds_.begin(), fds_.end());
}

fs::path write_askpass_script(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path path = dir / "askpass.sh";
  const fs::path tmp = dir / "askpass.sh.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    // git calls it with its prompt ("Username for ...", "Password for ...");
    // the answers come from descriptors stackd gave this git process only.
    out << "#!/bin/sh\n"
           "# Written by stackd: GIT_ASKPASS answering from inherited descriptors. Holds no secret.\n"
           "case \"$1\" in\n"
           "  [Uu]sername*) exec cat /proc/self/fd/3 ;;\n"
           "  *) exec cat /proc/self/fd/4 ;;\n"
           "esac\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::permissions(tmp, fs::perms::owner_all, fs::perm_options::replace);
  fs::rename(tmp, path);
  return path;
}

}  // namespace stackd::git
