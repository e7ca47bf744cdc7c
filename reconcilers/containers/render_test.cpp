#include <gtest/gtest.h>

#include "api/v1alpha1/loader.hpp"
#include "reconcilers/containers/desired_state.hpp"
#include "api/v1alpha1/labels.hpp"

using namespace stackd;
using namespace stackd::containers;
using namespace stackd::labels;

namespace {

manifest::Manifest load(const std::string& extra_prometheus = "", const std::string& network = "host") {
  std::string text = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: " +
                     network + "\n  prometheus:\n    port: 19090\n" + extra_prometheus +
                     "  grafana:\n    port: 13000\n  nodeExporter:\n    port: 19100\n";
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  return manifest::load_from_string(text, "/tmp/stack.yaml", o);
}

const ContainerSpec& find(const DesiredState& d, const std::string& component) {
  for (const auto& c : d.containers)
    if (c.component == component) return c;
  throw std::runtime_error("no " + component);
}

RenderContext ctx(const std::string& password = "pw-secret-value") { return RenderContext{password, "stackd:dev"}; }

}  // namespace

TEST(Render, SameManifestSameHash) {
  auto a = render_desired_state(load(), ctx());
  auto b = render_desired_state(load(), ctx());
  ASSERT_EQ(a.containers.size(), 3u);
  for (std::size_t i = 0; i < a.containers.size(); ++i) EXPECT_EQ(a.containers[i].spec_hash, b.containers[i].spec_hash);
}

TEST(Render, ImageOrArgsChangeOnlyThatComponent) {
  auto a = render_desired_state(load(), ctx());
  auto b = render_desired_state(load("    image: prom/prometheus:v2.54.0\n"), ctx());
  EXPECT_NE(find(a, kPrometheus).spec_hash, find(b, kPrometheus).spec_hash);
  EXPECT_EQ(find(a, kGrafana).spec_hash, find(b, kGrafana).spec_hash);
  EXPECT_EQ(find(a, kNodeExporter).spec_hash, find(b, kNodeExporter).spec_hash);
  auto c = render_desired_state(load("    args: [--log.level=debug]\n"), ctx());
  EXPECT_NE(find(a, kPrometheus).spec_hash, find(c, kPrometheus).spec_hash);
  EXPECT_NE(find(a, kPrometheus).spec_parts.at("command"), find(c, kPrometheus).spec_parts.at("command"));
  EXPECT_EQ(find(a, kPrometheus).spec_parts.at("image"), find(c, kPrometheus).spec_parts.at("image"));
}

TEST(Render, ScrapeSettingsAreLiveFilesNotRecreation) {
  auto a = render_desired_state(load(), ctx());
  auto b = render_desired_state(load("    scrapeInterval: 5s\n"), ctx());
  EXPECT_EQ(find(a, kPrometheus).spec_hash, find(b, kPrometheus).spec_hash);
  EXPECT_NE(find(a, kPrometheus).live_files[0].content, find(b, kPrometheus).live_files[0].content);
}

TEST(Render, PasswordNeverInEnvLabelsOrHash) {
  auto a = render_desired_state(load(), ctx("pw-secret-value"));
  auto b = render_desired_state(load(), ctx("another-secret"));
  const auto& g = find(a, kGrafana);
  EXPECT_EQ(g.create_body.dump().find("pw-secret-value"), std::string::npos);
  EXPECT_EQ(g.spec_hash, find(b, kGrafana).spec_hash) << "a password change must not show up in labels";
  bool has_file_var = false;
  for (const auto& e : g.create_body["Env"]) has_file_var |= e.get<std::string>().rfind("GF_SECURITY_ADMIN_PASSWORD__FILE=", 0) == 0;
  EXPECT_TRUE(has_file_var);
  ASSERT_EQ(g.live_files.size(), 1u);
  EXPECT_EQ(g.live_files[0].mode, 0400u);
}

TEST(Render, LabelsAndNamesFollowTheContract) {
  auto d = render_desired_state(load(), ctx());
  const auto& p = find(d, kPrometheus);
  EXPECT_EQ(p.name, "demo-prometheus");
  const auto& labels = p.create_body["Labels"];
  EXPECT_EQ(labels[kManagedBy], "stackd");
  EXPECT_EQ(labels[kStack], "demo");
  EXPECT_EQ(labels[kComponent], "prometheus");
  EXPECT_EQ(labels[kSpecHash], p.spec_hash);
  EXPECT_EQ(p.create_body["HostConfig"]["NetworkMode"], "host");
  ASSERT_EQ(d.volumes.size(), 2u);
  EXPECT_EQ(d.volumes[0].name, "demo-prometheus-data");
  EXPECT_FALSE(d.network);
}

TEST(Render, BridgeNetworkPublishesOnListenAddress) {
  auto d = render_desired_state(load("", "demo-net"), ctx());
  ASSERT_TRUE(d.network);
  const auto& p = find(d, kPrometheus);
  EXPECT_EQ(p.create_body["HostConfig"]["NetworkMode"], "demo-net");
  EXPECT_EQ(p.create_body["HostConfig"]["PortBindings"]["19090/tcp"][0]["HostIp"], "127.0.0.1");
  EXPECT_NE(p.live_files[0].content.find("demo-node-exporter:19100"), std::string::npos) << p.live_files[0].content;
}
