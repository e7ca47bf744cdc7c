#include "runtime/backoff.hpp"

#include <gtest/gtest.h>

#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesPerFailureFromBaseUpToCap) {
  FakeRandom random;  // 0.5: no jitter
  Backoff backoff({.base = 1s, .cap = 10s, .jitter = 0.1}, random);
  EXPECT_EQ(backoff.next("grafana"), 1s);
  EXPECT_EQ(backoff.next("grafana"), 2s);
  EXPECT_EQ(backoff.next("grafana"), 4s);
  EXPECT_EQ(backoff.next("grafana"), 8s);
  EXPECT_EQ(backoff.next("grafana"), 10s);
  EXPECT_EQ(backoff.attempts("grafana"), 5u);
  for (int i = 0; i < 200; ++i) EXPECT_LE(backoff.next("grafana"), 10s);  // no overflow
}

TEST(Backoff, KeysAreIndependentAndForgetResets) {
  FakeRandom random;
  Backoff backoff({.base = 1s, .cap = 1min, .jitter = 0.0}, random);
  backoff.next("a");
  backoff.next("a");
  EXPECT_EQ(backoff.next("b"), 1s);
  EXPECT_EQ(backoff.attempts("a"), 2u);
  EXPECT_EQ(backoff.peek("a"), 4s);
  backoff.forget("a");
  EXPECT_EQ(backoff.attempts("a"), 0u);
  EXPECT_EQ(backoff.next("a"), 1s);
  EXPECT_EQ(backoff.attempts("b"), 1u);
}

TEST(Backoff, JitterComesFromTheInjectedRandomAndNeverExceedsCap) {
  FakeRandom random({0.0, 0.999999, 0.999999});
  Backoff backoff({.base = 10s, .cap = 25s, .jitter = 0.2}, random);
  EXPECT_EQ(backoff.next("k"), 8s);                             // 10s * 0.8
  EXPECT_NEAR(std::chrono::duration<double>(backoff.next("k")).count(), 24.0, 0.001);  // 20s * 1.2
  EXPECT_EQ(backoff.next("k"), 25s);                            // 40s capped, then jittered, then capped
}

}  // namespace
}  // namespace stackd::runtime
