#include "api/v1alpha1/interpolate.hpp"

#include <gtest/gtest.h>

using namespace stackd::manifest;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST(Interpolate, SubstitutesDefaultsAndEscapes) {
  Diagnostics d;
  auto out = interpolate("a: ${A}\nb: ${B:-dflt}\nc: $${NOT}\nd: ${E:-x}\ne: ${E-y}\n", "m.yaml",
                         env_of({{"A", "1"}, {"E", ""}}), d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(out, "a: 1\nb: dflt\nc: ${NOT}\nd: x\ne: \n");
}

TEST(Interpolate, UnsetVariableIsAnErrorWithPosition) {
  Diagnostics d;
  interpolate("x: 1\nimage: repo:${TAG}\n", "m.yaml", env_of({}), d);
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].to_string(), "m.yaml:2:13: environment variable TAG is not set (use ${TAG:-default})");
}

TEST(Interpolate, UnterminatedAndInvalidNames) {
  Diagnostics d;
  interpolate("a: ${OOPS\nb: ${1X}\n", "m.yaml", env_of({}), d);
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.items()[0].line, 1);
  EXPECT_EQ(d.items()[1].line, 2);
}
