#include "reconcilers/containers/pull_progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace stackd::containers {

namespace {
// ANSI: erase the whole line and return to its start; cursor up/down n lines.
constexpr std::string_view kClearLine = "\x1b[2K\r";
std::string up(std::size_t n) { return "\x1b[" + std::to_string(n) + "A"; }
std::string down(std::size_t n) { return "\x1b[" + std::to_string(n) + "B"; }

// Engine strings come from the registry through the engine: keep one line
// short and free of control characters, so they cannot move the cursor.
std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  return out;
}
}  // namespace

std::string layer_line(const docker::PullProgress& p) {
  std::string line = p.id.empty() ? "" : printable(p.id, 80) + ": ";
  line += printable(p.status);
  if (!p.progress.empty()) line += " " + printable(p.progress);
  return line;
}

void LinePullProgress::begin(const std::string& image) { say_("pulling " + image); }

void LinePullProgress::update(const std::string& image, const docker::PullProgress& p) {
  if (p.status.empty()) return;
  auto key = std::pair{image, p.id};
  auto it = last_status_.find(key);
  if (it != last_status_.end() && it->second == p.status) return;  // a byte count moved, not a step
  if (it == last_status_.end() && last_status_.size() >= TerminalPullProgress::kMaxLines) return;
  last_status_[key] = p.status;
  say_("  " + image + (p.id.empty() ? "" : " " + printable(p.id, 80)) + ": " + printable(p.status));
}

void LinePullProgress::end(const std::string& image, bool ok) {
  std::erase_if(last_status_, [&](const auto& kv) { return kv.first.first == image; });
  if (ok) say_("pulled " + image);
}

void TerminalPullProgress::append(const std::string& text) {
  write_(std::string(kClearLine) + text + "\n");
  ++lines_;
}

void TerminalPullProgress::begin(const std::string& image) { append(printable(image) + ": pulling"); }

void TerminalPullProgress::update(const std::string& image, const docker::PullProgress& p) {
  if (p.status.empty()) return;
  auto text = layer_line(p);
  if (p.id.empty()) {  // "Pulling from ...", "Digest: ...", "Status: ...": not a layer
    append(printable(image) + ": " + text);
    return;
  }
  auto key = std::pair{image, p.id};
  auto it = at_.find(key);
  if (it == at_.end()) {
    if (at_.size() < kMaxLines) at_[key] = lines_;
    append(text);
    return;
  }
  // Up to the layer's line, redraw it, back down below the last line.
  auto distance = lines_ - it->second;
  write_(up(distance) + std::string(kClearLine) + text + "\r" + down(distance));
}

void TerminalPullProgress::end(const std::string& image, bool ok) {
  std::erase_if(at_, [&](const auto& kv) { return kv.first.first == image; });
  append(printable(image) + (ok ? ": pulled" : ": pull failed"));
}

std::shared_ptr<PullProgressView> pull_progress_view(std::function<void(const std::string&)> say) {
  if (::isatty(STDOUT_FILENO)) {
    static auto terminal = std::make_shared<TerminalPullProgress>([](std::string_view bytes) {
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
      std::fflush(stdout);
    });
    return terminal;
  }
  return std::make_shared<LinePullProgress>(std::move(say));
}

}  // namespace stackd::containers
