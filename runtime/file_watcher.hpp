#pragma once
// Watches the manifest and every file it references, and says "changed" once
// per burst of edits (~15 ms debounce) on the io_context.
//
// inotify on the parent DIRECTORIES, never only on the files' inodes, because
// how a file changes decides which inode sees it:
//   in-place write (echo >, most IDEs)  → IN_MODIFY/IN_CLOSE_WRITE on the file
//   save by rename (vim, emacs, sed -i) → IN_MOVED_TO in the directory; the
//                                          old inode is gone, its watch dead
//   git checkout                        → unlink + create in the directory
//   Kubernetes ConfigMap (`..data` symlink replaced by rename) → IN_MOVED_TO
//                                          of `..data` in the mount directory
// So for each file the watcher watches its directory, the directory of the
// file it resolves to, and the directory of every symlink on its path; when
// a directory does not exist yet, its nearest existing ancestor. The watch
// set is recomputed after every burst, following swaps and new directories.
//
// A path with glob(7) wildcards (`dashboards/*.json`) stands for the set of
// files matching it: its fingerprint is the sorted list of matches, and the
// directory watched is its nearest ancestor without wildcards, so a new file
// matching a rules or dashboards glob is noticed (the matched files' content
// is watched as ordinary files by whoever lists them).
//
// Any event in a watched directory only triggers a re-check: the callback
// fires when the content (sha256) or existence of a watched file changed
// since the last check, so editor swap files, `touch` and no-op checkouts do
// not cause a reconcile. IN_Q_OVERFLOW forces a re-check too.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/clock.hpp"

namespace stackd::runtime {

struct FileWatcherConfig {
  // Quiet time after the last event before checking (bursts coalesce). The
  // events of one save (an editor's write and rename, a checkout's files,
  // a ConfigMap's symlink swap) come within a millisecond or two of each
  // other; every millisecond more is added to "rule edit -> rule active". A
  // burst split in two costs a second look, never a wrong result: only a
  // changed fingerprint reports, and every report is level-triggered.
  Duration debounce = std::chrono::milliseconds(15);
  // Longest a steady stream of events can delay a check.
  Duration max_delay = std::chrono::seconds(1);
  // Bounds: files accepted in set_files(), bytes hashed per file (a larger
  // file is fingerprinted by size and mtime instead).
  std::size_t max_files = 4096;
  std::uintmax_t max_hash_bytes = 64ull * 1024 * 1024;
};

class FileWatcher {
 public:
  // on_change runs on the io_context after a burst changed at least one file.
  FileWatcher(net::any_io_executor executor, Clock& clock, std::function<void()> on_change,
              FileWatcherConfig config = {});
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Replaces the watched files (absolute or relative to the working
  // directory). Files already watched keep their last fingerprint, so a
  // change racing with this call is still reported; new files are
  // fingerprinted now. Throws std::invalid_argument beyond max_files.
  void set_files(const std::vector<std::filesystem::path>& files);
  // Opens inotify and starts reading. Throws std::system_error if the kernel
  // refuses (no inotify, watch limit reached).
  void start();
  void stop();

  std::uint64_t changes_reported() const { return changes_; }
  std::set<std::filesystem::path> watched_directories() const;

 private:
  struct Fingerprint {
    bool exists = false;
    std::string digest;
    bool operator==(const Fingerprint&) const = default;
  };
  Fingerprint fingerprint(const std::filesystem::path& file) const;
  Fingerprint glob_fingerprint(const std::filesystem::path& pattern) const;
  std::set<std::filesystem::path> directories_for(const std::filesystem::path& file) const;
  void update_watches();
  void read_events();
  void schedule_check();
  void check();

  net::any_io_executor executor_;
  Clock& clock_;
  std::function<void()> on_change_;
  FileWatcherConfig config_;
  int inotify_fd_ = -1;
  std::optional<net::posix::stream_descriptor> stream_;
  std::vector<char> buffer_;
  std::map<std::filesystem::path, Fingerprint> files_;
  std::map<int, std::filesystem::path> watches_;  // wd -> directory
  Timer check_timer_;
  std::optional<SteadyTime> burst_started_;
  std::uint64_t changes_ = 0;
  // Read completions can run after destruction (they are queued as
  // cancelled); they check this token before touching the watcher.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace stackd::runtime
