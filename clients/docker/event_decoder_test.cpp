#include "clients/docker/event_decoder.hpp"

#include <gtest/gtest.h>

using namespace stackd::docker;

TEST(EventDecoder, DecodesEventsSplitAcrossChunks) {
  std::string stream =
      R"({"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"dev.stackd.stack":"s","exitCode":"1"}},"timeNano":12})"
      "\n\nnot json\n"
      R"({"Type":"network","Action":"destroy","Actor":{"ID":"n1"}})"
      "\n";
  std::vector<Event> got;
  EventStreamDecoder d;
  for (std::size_t i = 0; i < stream.size(); i += 7)
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(i, 7), [&](const Event& e) {
      got.push_back(e);
      return true;
    }));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].action, "die");
  EXPECT_EQ(got[0].attributes.at("dev.stackd.stack"), "s");
  EXPECT_EQ(got[0].time_nano, 12);
  EXPECT_EQ(got[1].id, "n1");
}

TEST(EventDecoder, WrongTypesAndOutOfRangeNumbersAreIgnored) {
  auto e = decode_event(R"({"Type":5,"Actor":{"ID":[1],"Attributes":{"a":1,"b":"x"}},"timeNano":1e300})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "");
  EXPECT_EQ(e->id, "");
  EXPECT_EQ(e->attributes.size(), 1u);
  EXPECT_EQ(e->time_nano, 0);
  EXPECT_FALSE(decode_event(std::string(100, '[') + std::string(100, ']')));
  EXPECT_FALSE(decode_event("[1]"));
}
