#include "sources/git/git_repository.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>

#include "common/tar_archive.hpp"

namespace stackd::git {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTargetRef = "refs/stackd/target";

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9][A-Za-z0-9._/+-]{0,254}, without what git refuses in a ref name.
bool valid_ref(const std::string& ref) {
  if (ref.empty() || ref.size() > 255 || !alnum(ref[0])) return false;
  auto allowed = [](char c) { return alnum(c) || c == '.' || c == '_' || c == '/' || c == '+' || c == '-'; };
  if (!std::all_of(ref.begin(), ref.end(), allowed)) return false;
  return ref.find("..") == std::string::npos && ref.find("//") == std::string::npos && ref.back() != '/' &&
         !ref.ends_with(".lock");
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// git's stderr, for a message: the "fatal:"/"error:" lines, or the last lines.
std::string summarize(const std::string& err) {
  std::string picked, last;
  std::size_t start = 0;
  while (start < err.size()) {
    auto end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    auto line = trim(err.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    last = line;
    if (line.rfind("fatal:", 0) == 0 || line.rfind("error:", 0) == 0 || line.find("denied") != std::string::npos ||
        line.find("verification failed") != std::string::npos) {
      if (!picked.empty()) picked += "; ";
      picked += line;
    }
  }
  auto out = picked.empty() ? last : picked;
  if (out.size() > 500) out = out.substr(0, 500) + "...";
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](const char* n) { return text.find(n) != std::string::npos; });
}

}  // namespace

bool is_full_sha(const std::string& ref) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  return ref.size() == 40 && std::all_of(ref.begin(), ref.end(), hex);
}

GitRepository::GitRepository(GitRepositoryConfig config) : config_(std::move(config)) {
  if (!valid_ref(config_.ref)) throw std::invalid_argument("git ref '" + config_.ref + "' is not a valid branch, tag or commit");
  pinned_ = is_full_sha(config_.ref);
  if (pinned_) std::transform(config_.ref.begin(), config_.ref.end(), config_.ref.begin(), ::tolower);
  fs::create_directories(config_.dir / "commits");
  fs::create_directories(config_.dir / "home");
  lock_fd_ = ::open((config_.dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), (config_.dir / "lock").string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw std::runtime_error(config_.dir.string() + " is in use by another stackd process");
  }
  askpass_ = write_askpass_script(config_.dir / "home");
  // The whole environment of every git command: nothing of the daemon's
  // (no user config, no system config, no agent, no proxy surprises).
  const char* path = std::getenv("PATH");
  env_ = {std::string("PATH=") + (path ? path : "/usr/local/bin:/usr/bin:/bin"),
          "HOME=" + (config_.dir / "home").string(),
          "GIT_CONFIG_NOSYSTEM=1",
          "GIT_CONFIG_GLOBAL=/dev/null",
          "LC_ALL=C",
          "LANG=C"};
  secrets_ = auth_secrets(config_.auth, config_.remote);
  // Leftovers of a process killed while writing a commit's files.
  for (const auto& entry : fs::directory_iterator(config_.dir / "commits"))
    if (entry.path().filename().string().starts_with(".tmp-")) fs::remove_all(entry.path());
}

GitRepository::~GitRepository() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string GitRepository::safe(const std::string& text) const {
  auto out = redact_urls(text);
  for (const auto& s : secrets_) {
    if (s.size() < 4) continue;  // scrubbing "a" would mangle every message
    for (std::size_t at; (at = out.find(s)) != std::string::npos;) out.replace(at, s.size(), "***");
  }
  return out;
}

ProcessResult GitRepository::git(std::vector<std::string> args, const ProcessLimits& limits, bool with_credentials) {
  ProcessSpec spec;
  spec.argv = {config_.git, "--git-dir=" + repo_dir().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = env_;
  spec.limits = limits;
  std::optional<CredentialHandoff> handoff;
  if (with_credentials) {
    handoff.emplace(config_.auth, config_.remote, askpass_);
    handoff->add_to(spec);
  } else {
    spec.env.push_back("GIT_TERMINAL_PROMPT=0");
  }
  return runner_.run(spec);
}

void GitRepository::recreate_repository() {
  std::error_code ec;
  fs::remove_all(repo_dir(), ec);
  const fs::path tmp = config_.dir / "repo.new";
  fs::remove_all(tmp, ec);
  ProcessSpec spec;
  spec.argv = {config_.git, "init", "--quiet", "--bare", tmp.string()};
  spec.env = env_;
  spec.limits.timeout = std::chrono::seconds(30);
  auto r = runner_.run(spec);
  if (!r.ok()) throw FetchError(FetchError::Kind::Local, "git init failed (" + r.describe() + "): " + safe(summarize(r.err)));
  // The directory exists only once it is a whole repository.
  fs::rename(tmp, repo_dir());
}

void GitRepository::ensure_repository() {
  if (!fs::exists(repo_dir() / "HEAD")) recreate_repository();
}

void GitRepository::remove_stale_locks() {
  // We hold the flock on <dir>/lock: no other git works on this repository,
  // so every lock file here is left over from a killed fetch.
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(repo_dir(), ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.ends_with(".lock") || name.starts_with("tmp_pack_") || name.starts_with("tmp_idx_") ||
        name.starts_with("incoming-") || name.starts_with("tmp_objdir"))
      stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove_all(p, ec);
}

bool GitRepository::wrote_file_at_limit() const {
  // git does not always say that index-pack died of SIGXFSZ ("invalid
  // index-pack output"); the pack it left behind, cut at the limit, does.
  std::error_code ec;
  const auto limit = config_.fetch_limits.max_file_bytes;
  for (auto it = fs::recursive_directory_iterator(repo_dir() / "objects", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec) && it->file_size(size_ec) >= limit && !size_ec) return true;
  }
  return false;
}

bool GitRepository::healthy() {
  ProcessLimits limits;
  limits.timeout = std::chrono::seconds(60);
  if (!git({"rev-parse", "--is-bare-repository"}, limits).ok()) return false;
  if (!git({"rev-parse", "--verify", "--quiet", std::string(kTargetRef) + "^{commit}"}, limits).ok()) {
    // No target yet (never fetched): healthy if nothing points anywhere.
    return !fs::exists(repo_dir() / kTargetRef);
  }
  return git({"fsck", "--connectivity-only", "--no-progress", "--no-dangling"}, limits).ok();
}

std::optional<std::string> GitRepository::local_commit() {
  if (!fs::exists(repo_dir() / "HEAD")) return std::nullopt;
  ProcessLimits limits;
  limits.timeout = std::chrono::seconds(30);
  auto r = git({"rev-parse", "--verify", "--quiet", std::string(kTargetRef) + "^{commit}"}, limits);
  if (!r.ok()) return std::nullopt;
  auto commit = trim(r.out);
  if (!is_full_sha(commit)) return std::nullopt;
  return commit;
}

FetchResult GitRepository::fetch_once() {
  if (pinned_) {
    // A pin never moves: once the commit is here, the remote is not asked.
    ProcessLimits limits;
    limits.timeout = std::chrono::seconds(30);
    if (git({"cat-file", "-e", config_.ref + "^{commit}"}, limits).ok() && local_commit() == config_.ref)
      return {config_.ref};
  }
  const auto& l = config_.fetch_limits;
  auto low_speed_time = std::to_string(std::max<long long>(5, std::chrono::duration_cast<std::chrono::seconds>(l.timeout).count() / 2));
  // unpackLimit=1: every fetch lands as one pack file, so RLIMIT_FSIZE bounds
  // the whole fetch (loose objects would each be a file of their own).
  auto r = git({"-c", "protocol.version=2", "-c", "fetch.unpackLimit=1", "-c", "transfer.unpackLimit=1", "-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false",
                "-c", "http.lowSpeedLimit=1024", "-c", "http.lowSpeedTime=" + low_speed_time,
                "fetch", "--quiet", "--depth=1", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head",
                "--", config_.remote.url, "+" + config_.ref + ":" + kTargetRef},
               l, /*with_credentials=*/true);
  if (!r.ok()) {
    const auto why = safe(summarize(r.err));
    const auto what = "fetching " + config_.ref + " from " + config_.remote.display + " failed (" + r.describe() + ")" +
                      (why.empty() ? "" : ": " + why);
    if (r.timed_out) throw FetchError(FetchError::Kind::Timeout, what);
    // SIGXFSZ (25) kills index-pack, a child of git: git reports it.
    if (r.signal == SIGXFSZ || contains_any(r.err, {"died of signal 25", "File size limit exceeded"}) ||
        wrote_file_at_limit())
      throw FetchError(FetchError::Kind::TooLarge, what);
    if (contains_any(r.err, {"couldn't find remote ref", "not our ref", "no such remote ref", "unadvertised object",
                             "Couldn't find remote ref"}))
      throw FetchError(FetchError::Kind::RefNotFound, what);
    throw FetchError(FetchError::Kind::Remote, what);
  }
  auto commit = local_commit();
  if (!commit) throw FetchError(FetchError::Kind::Local, "fetched " + config_.ref + " but it names no commit");
  if (pinned_ && *commit != config_.ref)
    throw FetchError(FetchError::Kind::RefNotFound, "pinned commit " + config_.ref + " not found on " + config_.remote.display);
  return {*commit};
}

FetchResult GitRepository::fetch() {
  bool recreated = false;
  if (fs::exists(repo_dir())) {
    remove_stale_locks();
    if (!fs::exists(repo_dir() / "HEAD") || (!checked_ && !healthy())) {
      recreate_repository();
      recreated = true;
    }
  } else {
    recreate_repository();
  }
  checked_ = true;
  try {
    auto result = fetch_once();
    result.recreated = recreated;
    return result;
  } catch (const FetchError& e) {
    if (e.kind() == FetchError::Kind::Timeout || e.kind() == FetchError::Kind::TooLarge || recreated ||
        runner_.cancelled())
      throw;
    // The remote may be fine and the local copy broken (a killed fetch, a
    // full disk, a hand edit): if so, start over once.
    remove_stale_locks();
    if (healthy()) throw;
    recreate_repository();
    auto result = fetch_once();
    result.recreated = true;
    return result;
  }
}

fs::path GitRepository::checkout(const std::string& commit) {
  if (!is_full_sha(commit)) throw std::invalid_argument("not a commit: " + commit);
  const fs::path target = config_.dir / "commits" / commit;
  if (fs::exists(target)) return target;
  ProcessLimits limits;
  limits.timeout = std::chrono::seconds(60);
  // Tar headers and padding on top of the files' bytes.
  limits.max_stdout = config_.max_checkout_bytes + config_.max_checkout_bytes / 4 + 1024 * 1024;
  auto r = git({"archive", "--format=tar", commit}, limits);
  if (r.stdout_overflow)
    throw FetchError(FetchError::Kind::TooLarge, "commit " + commit + " holds more than " +
                                                     std::to_string(config_.max_checkout_bytes) + " bytes");
  if (!r.ok()) throw FetchError(FetchError::Kind::Local, "git archive " + commit + " failed (" + r.describe() + "): " + safe(summarize(r.err)));
  std::vector<TarFile> files;
  try {
    files = read_tar(r.out, config_.max_checkout_bytes);
  } catch (const std::exception& e) {
    throw FetchError(FetchError::Kind::TooLarge, "commit " + commit + ": " + e.what());
  }
  const fs::path tmp = config_.dir / "commits" / (".tmp-" + commit + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  for (const auto& f : files) {
    fs::path rel = fs::path(f.path).lexically_normal();
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..")
      throw FetchError(FetchError::Kind::Local, "commit " + commit + " holds a path outside the repository: " + f.path);
    fs::create_directories((tmp / rel).parent_path());
    std::ofstream out(tmp / rel, std::ios::binary | std::ios::trunc);
    out.write(f.content.data(), static_cast<std::streamsize>(f.content.size()));
    if (!out) throw FetchError(FetchError::Kind::Local, "cannot write " + (tmp / rel).string());
  }
  // Appears whole or not at all; never written again afterwards.
  fs::rename(tmp, target);
  return target;
}

void GitRepository::prune(const std::vector<std::string>& keep) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.dir / "commits", ec)) {
    auto name = entry.path().filename().string();
    if (name.starts_with(".tmp-")) continue;
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace stackd::git
