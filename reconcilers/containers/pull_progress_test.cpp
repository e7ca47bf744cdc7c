#include "reconcilers/containers/pull_progress.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace stackd::containers {
namespace {

docker::PullProgress step(std::string id, std::string status, std::string progress = "") {
  return {std::move(id), std::move(status), std::move(progress)};
}

// Replays the bytes on a tiny terminal model (cursor up/down, clear line,
// carriage return, newline) and returns the screen's lines, so the test
// checks what a user sees rather than which escape codes were written.
std::vector<std::string> screen(const std::string& bytes) {
  std::vector<std::string> rows(1);
  std::size_t row = 0, col = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c == '\x1b') {
      std::smatch m;
      std::string rest = bytes.substr(i);
      if (std::regex_search(rest, m, std::regex("^\\x1b\\[(\\d*)([ABK])"))) {
        std::size_t n = m[1].length() ? std::stoul(m[1]) : 1;
        if (m[2] == "A") row -= std::min(row, n);
        if (m[2] == "B") row += n;
        if (m[2] == "K") rows[row].clear(), col = 0;
        while (rows.size() <= row) rows.emplace_back();
        i += m[0].length() - 1;
        continue;
      }
    }
    if (c == '\r') { col = 0; continue; }
    if (c == '\n') { ++row; col = 0; while (rows.size() <= row) rows.emplace_back(); continue; }
    if (col >= rows[row].size()) rows[row].resize(col + 1, ' ');
    rows[row][col++] = c;
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(TerminalPullProgress, OneLinePerLayerUpdatedInPlace) {
  std::string out;
  TerminalPullProgress view([&](std::string_view b) { out += b; });
  const std::string img = "127.0.0.1:5000/x:1";
  view.begin(img);
  view.update(img, step("", "Pulling from x"));
  view.update(img, step("aaa", "Pulling fs layer"));
  view.update(img, step("bbb", "Pulling fs layer"));
  view.update(img, step("aaa", "Downloading", "[=>    ] 1MB/5MB"));
  view.update(img, step("bbb", "Downloading", "[===>  ] 3MB/5MB"));
  view.update(img, step("aaa", "Pull complete"));
  view.end(img, true);
  EXPECT_EQ(screen(out), (std::vector<std::string>{
                             "127.0.0.1:5000/x:1: pulling",
                             "127.0.0.1:5000/x:1: Pulling from x",
                             "aaa: Pull complete",
                             "bbb: Downloading [===>  ] 3MB/5MB",
                             "127.0.0.1:5000/x:1: pulled",
                         }))
      << out;
}

TEST(TerminalPullProgress, TwoImagesAtOnceKeepTheirOwnLines) {
  std::string out;
  TerminalPullProgress view([&](std::string_view b) { out += b; });
  view.begin("a");
  view.update("a", step("l1", "Waiting"));
  view.begin("b");
  view.update("b", step("l1", "Waiting"));  // same layer id, other image: another line
  view.update("a", step("l1", "Extracting", "[==>] 2MB/2MB"));
  view.end("b", false);
  EXPECT_EQ(screen(out), (std::vector<std::string>{"a: pulling", "l1: Extracting [==>] 2MB/2MB", "b: pulling",
                                                   "l1: Waiting", "b: pull failed"}))
      << out;
}

TEST(TerminalPullProgress, ControlCharactersFromTheEngineCannotMoveTheCursor) {
  std::string out;
  TerminalPullProgress view([&](std::string_view b) { out += b; });
  view.update("a", step("l1\x1b[5A", "Down\nloading"));
  EXPECT_EQ(screen(out), (std::vector<std::string>{"l1 [5A: Down loading"})) << out;
}

TEST(LinePullProgress, OneLinePerLayerStepNotPerByte) {
  std::vector<std::string> lines;
  LinePullProgress view([&](const std::string& l) { lines.push_back(l); });
  view.begin("img");
  view.update("img", step("aaa", "Pulling fs layer"));
  for (int i = 0; i < 100; ++i) view.update("img", step("aaa", "Downloading", std::to_string(i) + "MB"));
  view.update("img", step("aaa", "Download complete"));
  view.update("img", step("aaa", "Pull complete"));
  view.update("img", step("", "Digest: sha256:abc"));
  view.end("img", true);
  EXPECT_EQ(lines, (std::vector<std::string>{"pulling img", "  img aaa: Pulling fs layer", "  img aaa: Downloading",
                                             "  img aaa: Download complete", "  img aaa: Pull complete",
                                             "  img: Digest: sha256:abc", "pulled img"}));
}

TEST(LinePullProgress, AFailedPullSaysNothingMoreTheCallerReportsIt) {
  std::vector<std::string> lines;
  LinePullProgress view([&](const std::string& l) { lines.push_back(l); });
  view.begin("img");
  view.end("img", false);
  EXPECT_EQ(lines, (std::vector<std::string>{"pulling img"}));
}

}  // namespace
}  // namespace stackd::containers
