#pragma once
// What a user sees while an image is pulled, in the Docker CLI's two styles:
//   on a terminal  one line per layer ("<id>: Downloading [==>   ] 1.2MB/5MB"),
//                  redrawn in place with ANSI cursor movement as it changes;
//   otherwise      one line per layer step ("<image> <id>: Pull complete"),
//                  never one per byte, so logs stay readable.
// Several images can be pulled at once (components converge in parallel), so
// one TerminalPullProgress owns the terminal's lines for all of them.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/docker/docker_api.hpp"

namespace stackd::containers {

class PullProgressView {
 public:
  virtual ~PullProgressView() = default;
  virtual void begin(const std::string& image) = 0;
  virtual void update(const std::string& image, const docker::PullProgress& p) = 0;
  // ok: the pull succeeded; otherwise the caller reports the error itself.
  virtual void end(const std::string& image, bool ok) = 0;
};

// One line per layer step through a line sink (the daemon's log, a pipe).
class LinePullProgress final : public PullProgressView {
 public:
  explicit LinePullProgress(std::function<void(const std::string&)> say) : say_(std::move(say)) {}
  void begin(const std::string& image) override;
  void update(const std::string& image, const docker::PullProgress& p) override;
  void end(const std::string& image, bool ok) override;

 private:
  std::function<void(const std::string&)> say_;
  std::map<std::pair<std::string, std::string>, std::string> last_status_;  // (image, layer) -> status
};

// Lines redrawn in place on a terminal; `write` gets raw bytes (escape codes
// included). Bounded: past kMaxLines tracked lines, new layers are appended
// as plain lines instead of being tracked.
class TerminalPullProgress final : public PullProgressView {
 public:
  static constexpr std::size_t kMaxLines = 512;
  explicit TerminalPullProgress(std::function<void(std::string_view)> write) : write_(std::move(write)) {}
  void begin(const std::string& image) override;
  void update(const std::string& image, const docker::PullProgress& p) override;
  void end(const std::string& image, bool ok) override;

 private:
  void append(const std::string& text);
  std::function<void(std::string_view)> write_;
  std::size_t lines_ = 0;                                         // lines printed so far
  std::map<std::pair<std::string, std::string>, std::size_t> at_;  // (image, layer) -> its line
};

// The text of one layer's line: "<id>: <status> <progress>".
std::string layer_line(const docker::PullProgress& p);

// The view for this process: in place on stdout when stdout is a terminal,
// else one line per step through `say`. The terminal view is shared by every
// pull of the process.
std::shared_ptr<PullProgressView> pull_progress_view(std::function<void(const std::string&)> say);

}  // namespace stackd::containers
