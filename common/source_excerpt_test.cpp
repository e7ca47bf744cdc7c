#include "common/source_excerpt.hpp"

#include <gtest/gtest.h>

using stackd::source_excerpt;

TEST(SourceExcerpt, TheLineAndACaretUnderTheColumn) {
  EXPECT_EQ(source_excerpt("a: 1\n  b c\n", 2, 3), "    2 |   b c\n      |   ^\n");
  EXPECT_EQ(source_excerpt("a\n", 1, 1), "    1 | a\n      | ^\n");
  // A tab before the column is kept, so the caret lines up.
  EXPECT_EQ(source_excerpt("\tx: 1", 1, 2), "    1 | \tx: 1\n      | \t^\n");
  EXPECT_EQ(source_excerpt("a\n", 3, 1), "");
}

TEST(SourceExcerpt, ALongLineIsCutAroundTheColumn) {
  std::string line(10000, 'x');
  auto e = source_excerpt(line, 1, 5000);
  EXPECT_LT(e.size(), 300u);
  EXPECT_NE(e.find("..."), std::string::npos);
  auto caret = e.find('^') - e.rfind('\n', e.find('^'));
  auto first = e.substr(0, e.find('\n'));
  EXPECT_EQ(first[caret - 1], 'x');
}
