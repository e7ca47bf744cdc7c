#include "sources/git/git_options.hpp"

#include "api/v1alpha1/units.hpp"
#include "common/sha256.hpp"
#include "sources/git/git_snapshot_loader.hpp"

namespace stackd::git {

void add_git_options(CLI::App& cmd, GitSettings& s, bool daemon) {
  const std::string group = "Git source";
  cmd.add_option("--git-url", s.url, "git repository holding the manifest (file://, path, git://, http(s)://, ssh://)")
      ->envname("STACKD_GIT_URL")->group(group);
  cmd.add_option("--git-ref", s.ref, "branch, tag, or full commit SHA (a pin)")
      ->envname("STACKD_GIT_REF")->group(group)->capture_default_str();
  cmd.add_option("--git-path", s.path, "the manifest's path inside the repository")
      ->envname("STACKD_GIT_PATH")->group(group);
  cmd.add_option("--git-timeout", s.timeout, "deadline of one fetch")
      ->envname("STACKD_GIT_TIMEOUT")->group(group)->capture_default_str();
  cmd.add_option("--git-max-size", s.max_size, "largest file one fetch may write (a pack)")
      ->envname("STACKD_GIT_MAX_SIZE")->group(group)->capture_default_str();
  cmd.add_option("--git-token-file", s.token_file, "file holding an HTTPS token")
      ->envname("STACKD_GIT_TOKEN_FILE")->group(group);
  cmd.add_option("--git-password-file", s.password_file, "file holding the HTTPS password of --git-username")
      ->envname("STACKD_GIT_PASSWORD_FILE")->group(group);
  cmd.add_option("--git-username", s.username, "HTTPS user name (default with a token: git)")
      ->envname("STACKD_GIT_USERNAME")->group(group);
  cmd.add_option("--git-ssh-key", s.ssh_key, "SSH private key file")->envname("STACKD_GIT_SSH_KEY")->group(group);
  cmd.add_option("--git-known-hosts", s.known_hosts, "known_hosts file with the server's host key (always checked)")
      ->envname("STACKD_GIT_KNOWN_HOSTS")->group(group);
  if (daemon) {
    cmd.add_option("--git-interval", s.interval, "how often to fetch")
        ->envname("STACKD_GIT_INTERVAL")->group(group)->capture_default_str();
    cmd.add_option("--webhook-secret-file", s.webhook_secret_file, "shared secret of POST /hooks/git")
        ->envname("STACKD_WEBHOOK_SECRET_FILE")->group(group);
  }
}

void add_daemon_config_file(CLI::App& cmd) {
  cmd.set_config("--config", "", "daemon config file (TOML: git-url = \"...\")")->envname("STACKD_CONFIG");
}

namespace {
runtime::Duration duration_option(const std::string& name, const std::string& value) {
  auto d = manifest::parse_duration(value);
  if (!d || d->count() <= 0) throw std::invalid_argument(name + ": '" + value + "' is not a duration like 30s or 5m");
  return *d;
}
}  // namespace

GitSourceSettings resolve_git_settings(const GitSettings& s, const std::filesystem::path& state_dir) {
  if (s.url.empty()) throw std::invalid_argument("--git-url is required for the git source");
  if (s.path.empty()) throw std::invalid_argument("--git-path is required with --git-url");
  GitSourceSettings out;
  out.path = normalize_path_in_repo(s.path);
  auto& repo = out.repository;
  repo.remote = parse_remote_url(s.url);
  repo.ref = s.ref.empty() ? "main" : s.ref;
  repo.auth.token_file = s.token_file;
  repo.auth.password_file = s.password_file;
  repo.auth.username = s.username;
  repo.auth.ssh_key = s.ssh_key;
  repo.auth.known_hosts = s.known_hosts;
  check_auth(repo.auth, repo.remote);
  auto timeout = duration_option("--git-timeout", s.timeout);
  if (timeout > std::chrono::minutes(30)) throw std::invalid_argument("--git-timeout: at most 30m");
  repo.fetch_limits.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  auto size = manifest::parse_size(s.max_size);
  if (!size || *size < 1024 * 1024) throw std::invalid_argument("--git-max-size: '" + s.max_size + "' is not a size of at least 1MiB");
  repo.fetch_limits.max_file_bytes = *size;
  out.source.interval = duration_option("--git-interval", s.interval);
  if (out.source.interval < std::chrono::milliseconds(500)) throw std::invalid_argument("--git-interval: at least 500ms");
  // Credentials never reach the path: the URL as shown (redacted) and the ref.
  repo.dir = state_dir / "git" / sha256_hex(repo.remote.display + "\n" + repo.ref).substr(0, 16);
  if (!s.webhook_secret_file.empty()) {
    try {
      out.webhook_secret = read_secret_file(s.webhook_secret_file);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("--webhook-secret-file: ") + e.what());
    }
  }
  return out;
}

}  // namespace stackd::git
