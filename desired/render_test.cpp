#include <gtest/gtest.h>

#include "api/v1alpha1/labels.hpp"
#include "api/v1alpha1/loader.hpp"
#include "desired/render.hpp"

using namespace stackd;
using namespace stackd::desired;
using namespace stackd::labels;
using manifest::ComponentKind;

namespace {

manifest::Manifest load(const std::string& extra_prometheus = "", const std::string& network = "host") {
  std::string text = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: " +
                     network + "\n  prometheus:\n    port: 19090\n" + extra_prometheus +
                     "  grafana:\n    port: 13000\n  nodeExporter:\n    port: 19100\n";
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  return manifest::load_from_string(text, "/tmp/stack.yaml", o);
}

const ContainerSpec& find(const DesiredState& d, ComponentKind component) {
  if (const auto* c = d.container(component)) return *c;
  throw std::runtime_error("no " + std::string(manifest::to_string(component)));
}

const LiveFileSet& live(const DesiredState& d, LiveSet set) {
  if (const auto* s = d.live_set(set)) return *s;
  throw std::runtime_error("no live set " + std::string(to_string(set)));
}

ResolvedValues ctx(const std::string& password = "pw-secret-value") { return ResolvedValues{password, "stackd:dev"}; }

constexpr auto kPrometheus = ComponentKind::Prometheus;
constexpr auto kGrafana = ComponentKind::Grafana;
constexpr auto kNodeExporter = ComponentKind::NodeExporter;

}  // namespace

TEST(Render, SameManifestSameHash) {
  auto a = render(load(), ctx());
  auto b = render(load(), ctx());
  ASSERT_EQ(a.containers.size(), 3u);
  for (std::size_t i = 0; i < a.containers.size(); ++i) EXPECT_EQ(a.containers[i].spec_hash, b.containers[i].spec_hash);
}

TEST(Render, ImageOrArgsChangeOnlyThatComponent) {
  auto a = render(load(), ctx());
  auto b = render(load("    image: prom/prometheus:v2.54.0\n"), ctx());
  EXPECT_NE(find(a, kPrometheus).spec_hash, find(b, kPrometheus).spec_hash);
  EXPECT_EQ(find(a, kGrafana).spec_hash, find(b, kGrafana).spec_hash);
  EXPECT_EQ(find(a, kNodeExporter).spec_hash, find(b, kNodeExporter).spec_hash);
  auto c = render(load("    args: [--log.level=debug]\n"), ctx());
  EXPECT_NE(find(a, kPrometheus).spec_hash, find(c, kPrometheus).spec_hash);
  EXPECT_NE(find(a, kPrometheus).spec_parts.at("command"), find(c, kPrometheus).spec_parts.at("command"));
  EXPECT_NE(find(c, kPrometheus).create_body["Labels"][kAppliedSpec].get<std::string>().find("--log.level=debug"),
            std::string::npos);
  EXPECT_EQ(find(a, kPrometheus).spec_parts.at("image"), find(c, kPrometheus).spec_parts.at("image"));
}

TEST(Render, ScrapeSettingsAreLiveFilesNotRecreation) {
  auto a = render(load(), ctx());
  auto b = render(load("    scrapeInterval: 5s\n"), ctx());
  EXPECT_EQ(find(a, kPrometheus).spec_hash, find(b, kPrometheus).spec_hash);
  EXPECT_NE(live(a, LiveSet::PrometheusConfig).files[0].content, live(b, LiveSet::PrometheusConfig).files[0].content);
}

TEST(Render, PasswordNeverInEnvLabelsOrHash) {
  auto a = render(load(), ctx("pw-secret-value"));
  auto b = render(load(), ctx("another-secret"));
  const auto& g = find(a, kGrafana);
  EXPECT_EQ(g.create_body.dump().find("pw-secret-value"), std::string::npos);
  EXPECT_EQ(g.spec_hash, find(b, kGrafana).spec_hash) << "a password change must not show up in labels";
  bool has_file_var = false;
  for (const auto& e : g.create_body["Env"]) has_file_var |= e.get<std::string>().rfind("GF_SECURITY_ADMIN_PASSWORD__FILE=", 0) == 0;
  EXPECT_TRUE(has_file_var);
  const auto& password = live(a, LiveSet::GrafanaAdminPassword);
  ASSERT_EQ(password.files.size(), 1u);
  EXPECT_EQ(password.files[0].mode, 0400u);
  EXPECT_EQ(password.secret.count(password.files[0].path), 1u);
  EXPECT_EQ(a.container(kGrafana)->create_body["Labels"].dump().find("pw-secret-value"), std::string::npos);
}

TEST(Render, LabelsAndNamesFollowTheContract) {
  auto d = render(load(), ctx());
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
  auto d = render(load("", "demo-net"), ctx());
  ASSERT_TRUE(d.network);
  const auto& p = find(d, kPrometheus);
  EXPECT_EQ(p.create_body["HostConfig"]["NetworkMode"], "demo-net");
  EXPECT_EQ(p.create_body["HostConfig"]["PortBindings"]["19090/tcp"][0]["HostIp"], "127.0.0.1");
  const auto& config = live(d, LiveSet::PrometheusConfig).files[0].content;
  EXPECT_NE(config.find("demo-node-exporter:19100"), std::string::npos) << config;
}

TEST(Render, AppliedSpecLabelHidesEnvironmentValues) {
  auto d = render(load("    env: {API_TOKEN: hunter2-secret}\n"), ctx());
  const auto applied = find(d, kPrometheus).create_body["Labels"][kAppliedSpec].get<std::string>();
  EXPECT_EQ(applied.find("hunter2-secret"), std::string::npos) << applied;
  EXPECT_NE(applied.find("API_TOKEN=sha256:"), std::string::npos) << applied;
}

TEST(Render, LiveFilesNameTheUsersFiles) {
  auto d = render(load(), ctx());
  const auto& config = live(d, LiveSet::PrometheusConfig);
  EXPECT_EQ(config.source_of(config.files[0].path), "prometheus.yml (generated from spec.prometheus)");
  ASSERT_TRUE(config.loaded_marker);
  EXPECT_EQ(d.live_files_of(kPrometheus).size(), config.files.size() + 1);
}

// Every generated scrape target carries the box's `host`, so its GPU and
// Ollama series join in local queries and boxes tell apart on a hub.
TEST(Render, EveryGeneratedTargetCarriesTheHostLabel) {
  auto values = ctx();
  values.host = "gpu-box-1";
  values.daemon_serves_metrics = true;  // so stackd's own target is there too
  auto d = render(load(), values);
  const auto& yml = live(d, LiveSet::PrometheusConfig).files[0].content;
  EXPECT_NE(yml.find("external_labels:\n    host: \"gpu-box-1\""), std::string::npos) << yml;
  std::size_t labelled = 0;
  for (std::size_t at = 0; (at = yml.find("labels:\n          host: \"gpu-box-1\"", at)) != std::string::npos; ++at)
    ++labelled;
  EXPECT_EQ(labelled, 3u) << yml;  // prometheus, node-exporter, stackd
  // A host the manifest names wins (the loader passes it as the value).
  auto named = render(load("    externalLabels: {host: lab-7, site: home}\n"), ResolvedValues{"pw", "stackd:dev", "", "lab-7"});
  const auto& named_yml = live(named, LiveSet::PrometheusConfig).files[0].content;
  EXPECT_NE(named_yml.find("site: \"home\""), std::string::npos) << named_yml;
  EXPECT_NE(named_yml.find("host: \"lab-7\""), std::string::npos) << named_yml;
}

TEST(Render, DataPathBindsTheHostDirectoryInsteadOfTheVolume) {
  auto m = load();
  m.prometheus.data_path = "/srv/prometheus";
  auto d = render(m, ctx());
  const auto& mounts = find(d, kPrometheus).create_body["HostConfig"]["Mounts"];
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0]["Type"], "bind");
  EXPECT_EQ(mounts[0]["Source"], "/srv/prometheus");
  EXPECT_EQ(mounts[0]["Target"], "/prometheus");
  for (const auto& v : d.volumes) EXPECT_NE(v.name, "demo-prometheus-data");
}

TEST(Render, StackdIsScrapedOnlyWhileADaemonServesItAndNotWhenTurnedOff) {
  auto job = [](const DesiredState& d) {
    return live(d, LiveSet::PrometheusConfig).files[0].content.find("job_name: \"stackd\"") != std::string::npos;
  };
  auto served = ctx();
  served.daemon_serves_metrics = true;
  EXPECT_FALSE(job(render(load(), ctx()))) << "plain apply: no daemon, no target";
  auto with_daemon = render(load(), served);
  EXPECT_TRUE(job(with_daemon));
  EXPECT_NE(live(with_daemon, LiveSet::PrometheusConfig).files[0].content.find("127.0.0.1:9321"), std::string::npos);
  auto off = load();
  off.controller.enabled = false;  // spec.stackd.enabled: false
  EXPECT_FALSE(job(render(off, served)));
  // The target is a live file: a daemon starting or stopping reloads, never recreates.
  EXPECT_EQ(find(with_daemon, kPrometheus).spec_hash, find(render(load(), ctx()), kPrometheus).spec_hash);
}
