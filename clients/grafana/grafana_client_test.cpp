#include "clients/grafana/grafana_client.hpp"

#include <gtest/gtest.h>

using namespace stackd::grafana;

TEST(GrafanaError, NamesCallStatusAndGrafanasMessage) {
  stackd::http::Response r;
  r.status = 412;
  r.body = R"({"status":"version-mismatch","message":"The dashboard has been changed by someone else"})";
  auto e = make_error(stackd::http::Verb::post, "/api/dashboards/db", r);
  EXPECT_EQ(e.status(), 412u);
  EXPECT_EQ(e.status_word(), "version-mismatch");
  EXPECT_STREQ(e.what(),
               "Grafana POST /api/dashboards/db: HTTP 412 (version-mismatch): The dashboard has been changed by "
               "someone else");
}

TEST(GrafanaError, UnauthorizedSaysCredentialsAndPlainBodiesAreCut) {
  stackd::http::Response r;
  r.status = 401;
  r.body = R"({"message":"Invalid username or password"})";
  EXPECT_STREQ(make_error(stackd::http::Verb::get, "/api/user", r).what(),
               "Grafana GET /api/user: HTTP 401: credentials rejected: Invalid username or password");
  r.status = 502;
  r.body = std::string(1000, 'x');
  EXPECT_LT(std::string(make_error(stackd::http::Verb::get, "/api/health", r).what()).size(), 300u);
}

TEST(GrafanaError, KeepsGrafanasMessageIdToTellALockoutFromAWrongPassword) {
  stackd::http::Response r;
  r.status = 401;
  r.body = R"({"message":"Invalid username or password","messageId":"login-attempt.blocked","statusCode":401})";
  auto e = make_error(stackd::http::Verb::get, "/api/user", r);
  EXPECT_EQ(e.message_id(), "login-attempt.blocked");
  EXPECT_EQ(e.grafana_message(), "Invalid username or password");
}
