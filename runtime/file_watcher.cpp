#include "runtime/file_watcher.hpp"

#include <glob.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/sha256.hpp"

namespace stackd::runtime {

namespace fs = std::filesystem;

namespace {

// Directory events that can mean "a watched file now has other content".
constexpr std::uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
                                     IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr int kMaxSymlinkHops = 40;  // as the kernel's ELOOP limit

// The directory itself if it exists, else its nearest existing ancestor (so
// creating the missing directories is seen too).
fs::path existing_directory(fs::path dir) {
  std::error_code ec;
  while (!dir.empty() && !fs::is_directory(dir, ec)) {
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  return dir;
}

bool is_glob(const fs::path& p) { return p.native().find_first_of("*?[") != std::string::npos; }

// The longest leading part of a glob without wildcards.
fs::path glob_base(const fs::path& pattern) {
  fs::path base = pattern.root_path();
  for (const auto& part : pattern.relative_path()) {
    if (is_glob(part)) break;
    base /= part;
  }
  return base;
}

}  // namespace

FileWatcher::FileWatcher(net::any_io_executor executor, Clock& clock, std::function<void()> on_change,
                         FileWatcherConfig config)
    : executor_(std::move(executor)),
      clock_(clock),
      on_change_(std::move(on_change)),
      config_(config),
      // Room for many events with long names per read; the kernel queues
      // the rest (and reports IN_Q_OVERFLOW if even that fills).
      buffer_(64 * 1024) {}

FileWatcher::~FileWatcher() { stop(); }

void FileWatcher::set_files(const std::vector<fs::path>& files) {
  if (files.size() > config_.max_files) {
    throw std::invalid_argument("file watcher: " + std::to_string(files.size()) + " files exceed the limit of " +
                                std::to_string(config_.max_files));
  }
  std::map<fs::path, Fingerprint> next;
  for (const auto& f : files) {
    const fs::path p = fs::absolute(f).lexically_normal();
    auto it = files_.find(p);
    next[p] = it != files_.end() ? it->second : fingerprint(p);
  }
  files_ = std::move(next);
  if (inotify_fd_ >= 0) update_watches();
}

void FileWatcher::start() {
  if (inotify_fd_ >= 0) return;
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "file watcher: inotify_init1");
  inotify_fd_ = fd;
  stream_.emplace(executor_, fd);  // owns the fd from here
  update_watches();
  read_events();
}

void FileWatcher::stop() {
  check_timer_.cancel();
  burst_started_.reset();
  if (stream_) {
    boost::system::error_code ignored;
    stream_->close(ignored);  // also drops every watch
    stream_.reset();
  }
  inotify_fd_ = -1;
  watches_.clear();
}

std::set<fs::path> FileWatcher::watched_directories() const {
  std::set<fs::path> dirs;
  for (const auto& [wd, dir] : watches_) dirs.insert(dir);
  return dirs;
}

std::set<fs::path> FileWatcher::directories_for(const fs::path& file) const {
  std::set<fs::path> dirs;
  std::error_code ec;
  if (is_glob(file)) {
    dirs.insert(existing_directory(glob_base(file)));
    return dirs;
  }
  dirs.insert(existing_directory(file.parent_path()));
  // Every symlink on the path, and every hop of a symlink chain at the end:
  // replacing any of them changes what the path reads.
  fs::path prefix = file.root_path();
  for (const auto& part : file.relative_path()) {
    prefix /= part;
    if (fs::is_symlink(prefix, ec)) dirs.insert(existing_directory(prefix.parent_path()));
  }
  fs::path hop = file;
  for (int i = 0; i < kMaxSymlinkHops && fs::is_symlink(hop, ec); ++i) {
    const fs::path target = fs::read_symlink(hop, ec);
    if (ec) break;
    hop = (target.is_absolute() ? target : hop.parent_path() / target).lexically_normal();
    dirs.insert(existing_directory(hop.parent_path()));
  }
  const fs::path resolved = fs::weakly_canonical(file, ec);
  if (!ec) dirs.insert(existing_directory(resolved.parent_path()));
  return dirs;
}

void FileWatcher::update_watches() {
  std::set<fs::path> wanted;
  for (const auto& [file, print] : files_) {
    auto dirs = directories_for(file);
    wanted.insert(dirs.begin(), dirs.end());
  }
  std::map<int, fs::path> next;
  for (const auto& dir : wanted) {
    // The same inode reached by two paths yields the same wd.
    const int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask);
    if (wd < 0) {
      // ENOSPC: fs.inotify.max_user_watches reached. The periodic resync
      // still catches changes, so keep going, but say it.
      spdlog::warn("file watcher: cannot watch {}: {}", dir.string(), std::strerror(errno));
      continue;
    }
    next.emplace(wd, dir);
  }
  for (const auto& [wd, dir] : watches_) {
    if (!next.contains(wd)) inotify_rm_watch(inotify_fd_, wd);
  }
  watches_ = std::move(next);
}

void FileWatcher::read_events() {
  std::weak_ptr<char> alive = alive_;
  stream_->async_read_some(net::buffer(buffer_), [this, alive](boost::system::error_code ec, std::size_t n) {
    if (alive.expired() || ec == net::error::operation_aborted || !stream_) return;  // stopped
    if (ec) {
      spdlog::error("file watcher: reading inotify events failed: {}", ec.message());
      return;
    }
    bool relevant = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
      inotify_event ev;
      std::memcpy(&ev, buffer_.data() + off, sizeof ev);
      off += sizeof(inotify_event) + ev.len;
      if (ev.mask & IN_IGNORED) watches_.erase(ev.wd);  // its directory went away
      relevant = true;
    }
    if (relevant) schedule_check();
    read_events();
  });
}

void FileWatcher::schedule_check() {
  const SteadyTime now = clock_.now();
  if (!burst_started_) burst_started_ = now;
  const SteadyTime due = std::min(now + config_.debounce, *burst_started_ + config_.max_delay);
  check_timer_.cancel();
  check_timer_ = clock_.call_at(due, [this] { check(); });
}

void FileWatcher::check() {
  burst_started_.reset();
  if (inotify_fd_ < 0) return;
  update_watches();  // follow renamed directories, swapped symlinks, new dirs
  bool changed = false;
  for (auto& [file, print] : files_) {
    Fingerprint now = fingerprint(file);
    if (now != print) {
      print = std::move(now);
      changed = true;
    }
  }
  if (!changed) return;
  ++changes_;
  on_change_();
}

FileWatcher::Fingerprint FileWatcher::glob_fingerprint(const fs::path& pattern) const {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);  // sorted
  Fingerprint print{true, "glob:"};
  if (rc == 0) {
    // Bounded like set_files(): past max_files the count still changes.
    const std::size_t n = std::min<std::size_t>(g.gl_pathc, config_.max_files);
    for (std::size_t i = 0; i < n; ++i) print.digest.append(g.gl_pathv[i]).push_back('\0');
    print.digest += std::to_string(g.gl_pathc);
  }
  globfree(&g);
  return print;
}

FileWatcher::Fingerprint FileWatcher::fingerprint(const fs::path& file) const {
  if (is_glob(file)) return glob_fingerprint(file);
  std::error_code ec;
  const auto status = fs::status(file, ec);  // follows symlinks
  if (ec || !fs::exists(status)) return {};
  if (!fs::is_regular_file(status)) return {true, "not-a-regular-file"};
  const auto size = fs::file_size(file, ec);
  if (!ec && size > config_.max_hash_bytes) {
    const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
    return {true, "size:" + std::to_string(size) + ",mtime:" + std::to_string(mtime)};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return {true, "unreadable"};
  Sha256 hash;
  std::vector<char> chunk(64 * 1024);
  std::uintmax_t total = 0;
  while (in && total <= config_.max_hash_bytes) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = in.gcount();
    if (got <= 0) break;
    hash.update(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
    total += static_cast<std::uintmax_t>(got);
  }
  return {true, hash.hex()};
}

}  // namespace stackd::runtime
