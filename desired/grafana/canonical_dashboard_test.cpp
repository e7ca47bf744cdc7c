#include "desired/grafana/canonical_dashboard.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace stackd::grafana;

TEST(CanonicalDashboard, DropsServerFieldsAndSortsKeys) {
  json local = json::parse(R"({"uid":"a","title":"T","panels":[{"id":1,"type":"graph"}]})");
  json remote = json::parse(R"({"version":7,"title":"T","id":42,"uid":"a","panels":[{"type":"graph","id":1}]})");
  EXPECT_EQ(dashboard_hash(local), dashboard_hash(remote));
  EXPECT_EQ(canonical_dashboard(remote).dump(), R"({"panels":[{"id":1,"type":"graph"}],"title":"T","uid":"a"})");
}

TEST(CanonicalDashboard, IntegralFloatsEqualIntegers) {
  // Grafana re-encodes JSON through Go's float64: 1.0 comes back as 1.
  EXPECT_EQ(dashboard_hash(json::parse(R"({"gridPos":{"h":8.0,"y":0.5}})")),
            dashboard_hash(json::parse(R"({"gridPos":{"h":8,"y":0.5}})")));
  EXPECT_NE(dashboard_hash(json::parse(R"({"y":0.5})")), dashboard_hash(json::parse(R"({"y":1})")));
}

TEST(CanonicalDashboard, LibraryPanelsCompareByUidAndName) {
  json local = json::parse(R"({"panels":[{"libraryPanel":{"uid":"lp","name":"N"}}]})");
  json remote = json::parse(R"({"panels":[{"libraryPanel":{"uid":"lp","name":"N","model":{"x":1},"version":3}}]})");
  EXPECT_EQ(dashboard_hash(local), dashboard_hash(remote));
}

TEST(CanonicalDashboard, KeysOnlyTheRemoteHasAreDrift) {
  // grafana-operator compares one way and misses UI-added keys; stackd does not.
  EXPECT_NE(dashboard_hash(json::parse(R"({"title":"T"})")),
            dashboard_hash(json::parse(R"({"title":"T","annotations":{}})")));
}
