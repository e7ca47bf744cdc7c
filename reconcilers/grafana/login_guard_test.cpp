#include "reconcilers/grafana/login_guard.hpp"

#include <gtest/gtest.h>

#include "runtime/fake_clock.hpp"

using namespace std::chrono_literals;
using stackd::grafana::LoginGuard;

TEST(LoginGuard, RejectedCredentialsWaitSixMinutesOrADifferentKey) {
  stackd::runtime::FakeClock clock;
  LoginGuard guard(clock);
  const auto old_pw = LoginGuard::key("http://127.0.0.1:3000", "admin", "old");
  const auto new_pw = LoginGuard::key("http://127.0.0.1:3000", "admin", "new");
  EXPECT_FALSE(guard.refused(old_pw));
  guard.rejected(old_pw, "rejected");
  EXPECT_EQ(guard.refused(old_pw), "rejected");
  EXPECT_FALSE(guard.refused(new_pw));  // the password file changed: try it
  EXPECT_FALSE(guard.refused(LoginGuard::key("http://127.0.0.1:3000", "root", "old")));  // user renamed
  clock.advance(5min + 59s);
  EXPECT_TRUE(guard.refused(old_pw));
  EXPECT_EQ(guard.retry_at(old_pw), clock.now() + 1s);
  clock.advance(1s);
  EXPECT_FALSE(guard.refused(old_pw));
  guard.rejected(old_pw, "again");
  guard.accepted(old_pw);
  EXPECT_FALSE(guard.refused(old_pw));
}

TEST(LoginGuard, KeysAreDigestsNotSecrets) {
  auto k = LoginGuard::key("u", "admin", "hunter2");
  EXPECT_EQ(k.find("hunter2"), std::string::npos);
  EXPECT_NE(LoginGuard::key("ab", "c", ""), LoginGuard::key("a", "bc", ""));
}
