#include "exporter/request_outcome.hpp"

#include <gtest/gtest.h>

namespace stackd::exporter {
namespace {

std::string kind(Ending e, unsigned status, bool body_error = false, bool has_model = true) {
  auto k = error_kind(e, status, body_error, has_model);
  return k ? std::string(error_kind_label(*k)) : "none";
}

TEST(ErrorKind, FromHowTheExchangeEnded) {
  EXPECT_EQ(kind(Ending::Answered, 200), "none");
  EXPECT_EQ(kind(Ending::Answered, 204), "none");
  EXPECT_EQ(kind(Ending::Answered, 200, true), "stream_error");
  EXPECT_EQ(kind(Ending::Answered, 503), "busy");
  EXPECT_EQ(kind(Ending::Answered, 499), "cancelled");
  EXPECT_EQ(kind(Ending::Answered, 404), "model_not_found");
  EXPECT_EQ(kind(Ending::Answered, 404, false, false), "bad_request");  // a route, not a model
  EXPECT_EQ(kind(Ending::Answered, 400), "bad_request");
  EXPECT_EQ(kind(Ending::Answered, 401), "bad_request");
  EXPECT_EQ(kind(Ending::Answered, 500), "server_error");
  EXPECT_EQ(kind(Ending::Answered, 500, true), "server_error");
  EXPECT_EQ(kind(Ending::ClientLeft, 200), "cancelled");
  EXPECT_EQ(kind(Ending::ClientLeft, 0), "cancelled");
  EXPECT_EQ(kind(Ending::Unreachable, 0), "upstream_unreachable");
  EXPECT_EQ(kind(Ending::TimedOut, 0), "timeout");
  EXPECT_EQ(kind(Ending::TimedOut, 200), "timeout");
  EXPECT_EQ(kind(Ending::BrokeOff, 200), "stream_error");
  EXPECT_EQ(kind(Ending::BrokeOff, 500), "server_error");
}

TEST(ReasonLabels, KnownReasonsAndABoundedRest) {
  ReasonLabels r(2);
  for (auto known : {"stop", "length", "load", "unload", "tool_calls"}) EXPECT_EQ(r.label(known), known);
  EXPECT_EQ(r.label("context_window"), "context_window");  // a value Ollama may add later
  EXPECT_EQ(r.label("abort"), "abort");
  EXPECT_EQ(r.label("third_new_one"), "other");  // over the cap of 2
  EXPECT_EQ(r.label("abort"), "abort");          // admitted ones stay
  EXPECT_EQ(r.label("Stop"), "other");           // not a lower-case word
  EXPECT_EQ(r.label("a b"), "other");
  EXPECT_EQ(r.label(std::string(33, 'a')), "other");
  EXPECT_EQ(r.label(""), "other");
}

}  // namespace
}  // namespace stackd::exporter
