#pragma once
// A unified diff of two texts, as `diff -u` prints it, for people: `stackd
// diff` shows changed live files and dashboards with it. Bounded: texts of
// more than kMaxDiffLines lines are summarised instead of compared, so a
// huge file cannot make a plan slow.
#include <cstddef>
#include <string>
#include <string_view>

namespace stackd {

inline constexpr std::size_t kMaxDiffLines = 20000;

// "--- a/LABEL\n+++ b/LABEL\n@@ -1,3 +1,3 @@\n ...", or "" when equal.
std::string unified_diff(std::string_view old_text, std::string_view new_text, const std::string& old_label,
                         const std::string& new_label);

}  // namespace stackd
