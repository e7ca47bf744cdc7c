// The Alertmanager container as the container reconciler renders it, and
// Prometheus' generated config around it: alerting and a scrape job only
// when Alertmanager is enabled; a config edit is a live-file change (a
// reload), never a spec-hash change (a recreate); no secret in the create
// document (what `docker inspect` shows) or its labels.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <future>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/labels.hpp"
#include "api/v1alpha1/loader.hpp"
#include "clients/docker/fake_engine.hpp"
#include "clients/docker/run_blocking.hpp"
#include "common/metrics/metrics.hpp"
#include "reconcilers/containers/container_reconciler.hpp"
#include "reconcilers/containers/plan.hpp"
#include "desired/render.hpp"
#include "runtime/fake_clock.hpp"

using namespace stackd;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPassword = "smtp-pw-0c1d2e-secret";

class Stack {
 public:
  Stack() : dir_(fs::temp_directory_path() / ("stackd-am-container-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_ / "secrets");
    std::ofstream(dir_ / "secrets/smtp") << kPassword;
  }
  ~Stack() { fs::remove_all(dir_); }
  manifest::Manifest load(const std::string& alertmanager, const std::string& network = "host") const {
    std::ofstream(dir_ / "stack.yaml") << "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                          "spec:\n  network: " + network + "\n  prometheus: {port: 19090}\n" + alertmanager;
    manifest::LoadOptions o;
    o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return manifest::load((dir_ / "stack.yaml").string(), o);
  }
  desired::DesiredState render(const std::string& alertmanager, const std::string& network = "host") const {
    return desired::render(load(alertmanager, network), {"pw", "stackd:dev", ""});
  }
  desired::SnapshotPtr snapshot(const std::string& alertmanager) const {
    auto s = std::make_shared<desired::Snapshot>();
    s->manifest = load(alertmanager);
    s->revision = s->manifest.revision;
    s->secrets.grafana_admin_password = "pw";
    s->exporter_image = "stackd:dev";
    s->desired = desired::render(s->manifest, {"pw", "stackd:dev", ""});
    return s;
  }

 private:
  fs::path dir_;
};

const desired::ContainerSpec* find(const desired::DesiredState& d, manifest::ComponentKind component) {
  return d.container(component);
}

// prometheus.yml as rendered.
std::string prometheus_yml(const desired::DesiredState& d) {
  return d.live_set(desired::LiveSet::PrometheusConfig)->files[0].content;
}

const std::vector<TarFile>& alertmanager_files(const desired::DesiredState& d) {
  return d.live_set(desired::LiveSet::AlertmanagerConfig)->files;
}

constexpr auto kAlertmanager = manifest::ComponentKind::Alertmanager;
constexpr auto kPrometheus = manifest::ComponentKind::Prometheus;

std::string am(const std::string& group_wait = "30s") {
  return "  alertmanager:\n    port: 19093\n    route: {groupWait: " + group_wait + "}\n    receivers:\n"
         "      - name: mail\n"
         "        email: {to: a@b.c, from: s@b.c, smarthost: '127.0.0.1:2525', username: u, passwordFile: secrets/smtp}\n";
}

TEST(AlertmanagerContainer, RenderedLikeEveryComponentWithADataVolume) {
  Stack stack;
  const auto d = stack.render(am());
  const auto* a = find(d, kAlertmanager);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "demo-alertmanager");
  EXPECT_EQ(a->image, "prom/alertmanager:v0.27.0");
  EXPECT_EQ(a->api_url, "http://127.0.0.1:19093");
  const auto cmd = a->create_body["Cmd"];
  EXPECT_EQ(cmd[0], "--config.file=/etc/alertmanager/stackd/alertmanager.yml");
  EXPECT_EQ(cmd[1], "--storage.path=/alertmanager");
  EXPECT_EQ(cmd[2], "--web.listen-address=127.0.0.1:19093");
  EXPECT_EQ(cmd[3], "--cluster.listen-address=");
  EXPECT_EQ(a->create_body["Labels"]["dev.stackd.component"], "alertmanager");
  bool data = false;
  for (const auto& m : a->create_body["HostConfig"]["Mounts"])
    data = data || (m["Source"] == "demo-alertmanager-data" && m["Target"] == "/alertmanager");
  EXPECT_TRUE(data) << a->create_body.dump();
  bool volume = false;
  for (const auto& v : d.volumes) volume = volume || v.name == "demo-alertmanager-data";
  EXPECT_TRUE(volume);
  const auto& files = alertmanager_files(d);
  ASSERT_EQ(files.size(), 2u);  // alertmanager.yml and the password file
  // The secret is a delivered file only: not in the create document, labels included.
  EXPECT_EQ(a->create_body.dump().find(kPassword), std::string::npos);
  EXPECT_EQ(files[0].content.find(kPassword), std::string::npos);
  EXPECT_EQ(files[1].content, kPassword);
  EXPECT_EQ(d.live_set(desired::LiveSet::AlertmanagerConfig)->secret.count(files[1].path), 1u);
}

TEST(AlertmanagerContainer, PrometheusAlertsAndScrapesItOnlyWhenEnabled) {
  Stack stack;
  const auto with_state = stack.render(am());
  const auto with = prometheus_yml(with_state);
  EXPECT_NE(with.find("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n            - \"127.0.0.1:19093\""),
            std::string::npos)
      << with;
  EXPECT_NE(with.find("job_name: \"alertmanager\""), std::string::npos) << with;
  const auto without_state = stack.render("");
  const auto without = prometheus_yml(without_state);
  EXPECT_EQ(without.find("alerting"), std::string::npos) << without;
  EXPECT_EQ(without.find("alertmanager"), std::string::npos) << without;
  EXPECT_EQ(find(stack.render(""), kAlertmanager), nullptr);
  const auto disabled = stack.render(am() + "    enabled: false\n");
  EXPECT_EQ(find(disabled, kAlertmanager), nullptr);
  EXPECT_EQ(prometheus_yml(disabled).find("alerting"), std::string::npos);
}

TEST(AlertmanagerContainer, OnABridgeNetworkPrometheusUsesTheContainerName) {
  Stack stack;
  const auto state = stack.render(am(), "mon");
  const auto yml = prometheus_yml(state);
  EXPECT_NE(yml.find("\"demo-alertmanager:19093\""), std::string::npos) << yml;
}

TEST(AlertmanagerContainer, AConfigEditIsAReloadNotARecreate) {
  Stack stack;
  const auto before_state = stack.render(am("30s"));
  const auto before = *find(before_state, kAlertmanager);
  auto after_state = stack.render(am("10s"));
  const auto* after = find(after_state, kAlertmanager);
  EXPECT_EQ(before.spec_hash, after->spec_hash);
  EXPECT_NE(alertmanager_files(before_state)[0].content, alertmanager_files(after_state)[0].content);
}

// The container reconciler creates Alertmanager with its files, but a config
// edit on the running container is the config key's (an amtool-checked
// reload): the container reconciler neither overwrites the file nor
// recreates, and its plan has nothing to do.
TEST(AlertmanagerContainer, ContainerReconcilerLeavesAConfigEditToTheValidatedReload) {
  Stack stack;
  docker::FakeEngine engine;
  metrics::Registry registry;
  runtime::FakeClock clock;
  containers::ContainerReconciler reconciler(engine, registry);
  auto pass = [&](const desired::SnapshotPtr& snap) {
    for (const auto& c : snap->desired.containers) engine.add_image(c.image);
    // The data volumes as the infrastructure pass makes them.
    for (const auto& v : snap->desired.volumes) {
      if (engine.volumes().count(v.name)) continue;
      auto labels = labels::owner_labels(snap->manifest.name);
      labels[labels::kComponent] = std::string(manifest::to_string(v.component));
      run_await(engine.create_volume(v.name, labels));
    }
    runtime::Context ctx{snap, clock, [](const std::string&) {}};
    runtime::Request request{"container/alertmanager"};
    // The reconciler waits on the fake clock (its second look after a
    // start): time is moved on while the pass runs.
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<runtime::Result> { co_return co_await reconciler.reconcile(request, ctx); },
        boost::asio::use_future);
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io.restart();
      io.poll();
      if (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) clock.advance(std::chrono::milliseconds(50));
    }
    done.get();
  };
  const std::string config = "/etc/alertmanager/stackd/alertmanager.yml";

  const auto first = stack.snapshot(am("30s"));
  pass(first);
  const auto* created = engine.find("demo-alertmanager");
  ASSERT_NE(created, nullptr);
  ASSERT_TRUE(created->running());
  const std::string id = created->id;
  ASSERT_TRUE(created->files.count(config));
  EXPECT_NE(created->files.at(config).content.find("group_wait: 30s"), std::string::npos);

  const auto edited = stack.snapshot(am("10s"));
  auto plan = run_await(containers::make_component_plan(engine, edited->desired, kAlertmanager));
  EXPECT_TRUE(plan.converged());
  pass(edited);
  const auto* after = engine.find("demo-alertmanager");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->id, id);  // not recreated
  EXPECT_TRUE(after->running());
  EXPECT_NE(after->files.at(config).content.find("group_wait: 30s"), std::string::npos)
      << "the container reconciler bypassed amtool: " << after->files.at(config).content;
}

}  // namespace
