#include "common/unified_diff.hpp"

#include <dtl/dtl.hpp>

#include <sstream>
#include <vector>

namespace stackd {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text, const std::string& old_label,
                         const std::string& new_label) {
  if (old_text == new_text) return "";
  auto a = lines_of(old_text), b = lines_of(new_text);
  std::ostringstream out;
  out << "--- " << old_label << "\n+++ " << new_label << "\n";
  if (a.size() > kMaxDiffLines || b.size() > kMaxDiffLines) {
    out << "@@ " << a.size() << " lines -> " << b.size() << " lines: too large to show line by line @@\n";
    return out.str();
  }
  dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
  diff.onHuge();  // bounded memory on long inputs
  diff.compose();
  diff.composeUnifiedHunks();
  diff.printUnifiedFormat(out);
  return out.str();
}

}  // namespace stackd
