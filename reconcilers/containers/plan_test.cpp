#include <gtest/gtest.h>

#include "reconcilers/containers/plan.hpp"

using namespace stackd;
using namespace stackd::containers;

TEST(Plan, ChangedPartsNamesWhatDiffers) {
  std::map<std::string, std::string> desired{{"image", "aaa"}, {"env", "bbb"}, {"file:/etc/x", "ccc"}};
  EXPECT_TRUE(changed_parts("env=bbb,file:/etc/x=ccc,image=aaa", desired).empty());
  auto c = changed_parts("env=bbb,file:/etc/x=old,image=zzz,file:/etc/y=1", desired);
  EXPECT_EQ(c, (std::vector<std::string>{"file:/etc/x", "image", "file:/etc/y (removed)"}));
}

TEST(Plan, ToChangesListsWhatIsNotUnchanged) {
  Plan p;
  p.changes.push_back({ObjectKind::Container, "demo-prometheus", Action::Recreate, ComponentKind::Prometheus,
                       "changed: image", "0123456789abcdef", {{"image", "a", "b"}}, false});
  p.changes.push_back({ObjectKind::Container, "demo-grafana", std::nullopt, ComponentKind::Grafana, "", "x", {}, false});
  EXPECT_FALSE(p.converged());
  auto c = p.to_changes();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].action, Action::Recreate);
  EXPECT_EQ(c[0].name, "demo-prometheus");
  EXPECT_EQ(c[0].fields[0].new_value, "b");
}

TEST(SpecChanges, NamesArgumentsByFlagAndMasksEnvironment) {
  nlohmann::json old_doc = {{"Image", "prom/prometheus:v2.53.2"},
                            {"Cmd", {"--config.file=/x", "--storage.tsdb.retention.time=15d", "--web.enable-lifecycle"}},
                            {"Env", {"TOKEN=sha256:aaaa", "KEEP=sha256:bbbb"}},
                            {"HostConfig", {{"Memory", 536870912}, {"PortBindings", {{"9090/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "9090"}}}}}}}}};
  nlohmann::json new_doc = old_doc;
  new_doc["Cmd"][1] = "--storage.tsdb.retention.time=30d";
  new_doc["Env"] = {"TOKEN=sha256:cccc", "KEEP=sha256:bbbb", "NEW=sha256:dddd"};
  new_doc["HostConfig"]["Memory"] = 1073741824;
  new_doc["HostConfig"]["PortBindings"]["9090/tcp"][0]["HostPort"] = "19090";
  auto f = spec_changes(old_doc, new_doc);
  auto find = [&](const std::string& path) -> const runtime::FieldChange* {
    for (const auto& c : f)
      if (c.path == path) return &c;
    return nullptr;
  };
  ASSERT_NE(find("command --storage.tsdb.retention.time"), nullptr);
  EXPECT_EQ(find("command --storage.tsdb.retention.time")->old_value, "15d");
  EXPECT_EQ(find("command --storage.tsdb.retention.time")->new_value, "30d");
  ASSERT_NE(find("env TOKEN"), nullptr);
  EXPECT_EQ(find("env TOKEN")->new_value.find("cccc"), std::string::npos) << "values are never shown";
  ASSERT_NE(find("env NEW"), nullptr);
  EXPECT_EQ(find("env NEW")->old_value, "(absent)");
  EXPECT_EQ(find("env KEEP"), nullptr);
  ASSERT_NE(find("memory limit"), nullptr);
  EXPECT_EQ(find("memory limit")->old_value, "512MiB");
  EXPECT_EQ(find("memory limit")->new_value, "1GiB");
  ASSERT_NE(find("port 9090/tcp"), nullptr);
  EXPECT_EQ(find("port 9090/tcp")->new_value, "127.0.0.1:19090");
  EXPECT_EQ(f.size(), 5u);
  EXPECT_TRUE(spec_changes(old_doc, old_doc).empty());
}

// A GPU exporter's device requests and capabilities read as `docker run`
// writes them (--gpus all, --gpus device=0,1), not as JSON.
TEST(SpecChanges, DeviceRequestsReadLikeDockerRunsGpusFlag) {
  nlohmann::json old_doc = {{"Image", "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless"},
                            {"HostConfig", {{"DeviceRequests", nlohmann::json::parse(
                                                R"([{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}])")}}}};
  nlohmann::json new_doc = old_doc;
  new_doc["HostConfig"]["DeviceRequests"] =
      nlohmann::json::parse(R"([{"Driver":"nvidia","DeviceIDs":["0","GPU-8f6c"],"Capabilities":[["gpu"]]}])");
  new_doc["HostConfig"]["CapAdd"] = {"SYS_ADMIN"};
  auto f = spec_changes(old_doc, new_doc);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].path, "gpus");
  EXPECT_EQ(f[0].old_value, "all (driver nvidia)");
  EXPECT_EQ(f[0].new_value, "device=0,GPU-8f6c (driver nvidia)");
  EXPECT_EQ(f[1].path, "capabilities added");
  EXPECT_EQ(f[1].old_value, "(none)");
  EXPECT_EQ(f[1].new_value, "SYS_ADMIN");
  nlohmann::json none = old_doc;
  none["HostConfig"].erase("DeviceRequests");
  auto g = spec_changes(old_doc, none);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].new_value, "(none)");
}
