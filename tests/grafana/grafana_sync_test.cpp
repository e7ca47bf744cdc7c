// The Grafana reconciler against the Grafana fake running as a process on
// 127.0.0.1. Assertions are on what the fake holds afterwards (dashboards,
// folders, version history), not on which calls were made.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "clients/grafana/grafana_client.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "tests/grafana/fake_grafana_process.hpp"

namespace net = boost::asio;
using nlohmann::json;
using namespace stackd::grafana;
using stackd::testing::FakeGrafanaProcess;

namespace {

template <class T>
T run(net::io_context& io, net::awaitable<T> a) {
  auto f = net::co_spawn(io, std::move(a), net::use_future);
  io.restart();
  io.run();
  return f.get();
}

json dashboard(const std::string& uid, const std::string& title, const std::string& expr = "up") {
  return {{"uid", uid},
          {"title", title},
          {"schemaVersion", 39},
          {"panels",
           {{{"id", 1},
             {"type", "timeseries"},
             {"gridPos", {{"h", 8.0}, {"w", 12}, {"x", 0}, {"y", 0}}},
             {"datasource", {{"type", "prometheus"}, {"uid", "${DS_PROMETHEUS}"}}},
             {"targets", {{{"expr", expr}}}}}}}};
}

class GrafanaSync : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stackd-gsync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass");
    desired_.base_url = fake_->url();
    desired_.user = "admin";
    desired_.password = "first-pass";
    desired_.revision = "rev1";
    desired_.datasources = {{"prometheus", "Prometheus", "prometheus", "http://127.0.0.1:9090", "proxy", true,
                             {{"timeInterval", "15s"}}}};
    desired_.dashboards = {{"ollama.json", dashboard("ollama-llm", "Ollama LLM Performance"), "Frontier LLM"},
                           {"node.json", dashboard("node", "Node"), "Frontier LLM"},
                           {"home.json", dashboard("home", "Home"), ""}};
    admin_ = std::make_unique<Client>(io_.get_executor(), fake_->url(), Credentials{"admin", "first-pass", ""});
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  SyncReport sync(Reconciler& r) { return run(io_, r.reconcile(desired_)); }
  std::optional<json> get(const std::string& uid) { return run(io_, admin_->get_dashboard(uid)); }
  std::size_t history(const std::string& uid) { return run(io_, admin_->dashboard_versions(uid, 1000)).size(); }
  // A user saving from the UI: the normal API, overwrite, their own message.
  void ui_save(json dash, const std::string& folder_uid) {
    json body = {{"dashboard", dash}, {"folderUid", folder_uid}, {"overwrite", true}, {"message", "edited in UI"}};
    run(io_, admin_->save_dashboard(body));
  }

  std::filesystem::path dir_;
  net::io_context io_;
  std::unique_ptr<FakeGrafanaProcess> fake_;
  std::unique_ptr<Client> admin_;
  Desired desired_;
};

std::string all(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + "\n";
  return s;
}

}  // namespace

TEST_F(GrafanaSync, InitialSyncThenUnchangedResyncWritesNothing) {
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.created, 3);
  EXPECT_EQ(rep.folders_created, 1);
  EXPECT_EQ(rep.datasources_created, 1);

  auto ds = run(io_, admin_->get_datasource("prometheus"));
  ASSERT_TRUE(ds);
  EXPECT_EQ((*ds)["url"], "http://127.0.0.1:9090");
  EXPECT_EQ((*ds)["isDefault"], true);
  auto d = get("ollama-llm");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["meta"]["folderTitle"], "Frontier LLM");
  EXPECT_EQ((*d)["dashboard"]["panels"][0]["datasource"]["uid"], "prometheus");  // ${DS_PROMETHEUS} resolved
  auto versions = run(io_, admin_->dashboard_versions("ollama-llm", 10));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0]["message"], "stackd: manifest revision rev1");

  // Resync by the same reconciler and by a fresh one (a restarted stackd).
  for (int i = 0; i < 2; ++i) {
    Reconciler fresh(io_.get_executor());
    auto again = i == 0 ? sync(r) : sync(fresh);
    EXPECT_TRUE(again.ok()) << all(again.errors);
    EXPECT_EQ(again.unchanged, 3);
    EXPECT_EQ(again.created + again.updated + again.drift_repaired + again.moved + again.deleted, 0);
  }
  for (const char* uid : {"ollama-llm", "node", "home"}) EXPECT_EQ(history(uid), 1u) << uid;
  EXPECT_EQ(run(io_, admin_->folders()).size(), 1u);
}

TEST_F(GrafanaSync, UiEditIsRestoredAndHistoryGrowsByOne) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  auto d = *get("node");
  json edited = d["dashboard"];
  edited["title"] = "Node (edited)";
  edited["panels"].push_back({{"id", 2}, {"type", "text"}});
  ui_save(edited, d["meta"]["folderUid"]);
  ASSERT_EQ(history("node"), 2u);

  auto rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.drift_repaired, 1);
  EXPECT_EQ(rep.unchanged, 2);
  auto now = *get("node");
  EXPECT_EQ(now["dashboard"]["title"], "Node");
  EXPECT_EQ(now["dashboard"]["panels"].size(), 1u);
  EXPECT_EQ(history("node"), 3u);  // create, UI edit, restore

  // A restarted stackd (no memory) recognises a UI edit from the history too.
  ui_save(edited, now["meta"]["folderUid"]);
  Reconciler fresh(io_.get_executor());
  rep = sync(fresh);
  EXPECT_EQ(rep.drift_repaired, 1);
  EXPECT_EQ((*get("node"))["dashboard"]["title"], "Node");
}

TEST_F(GrafanaSync, UiDeleteIsRecreated) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  ASSERT_TRUE(run(io_, admin_->delete_dashboard("home")));
  auto rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.drift_repaired, 1);
  auto d = get("home");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["meta"]["folderUid"], "");
}

TEST_F(GrafanaSync, ManifestChangeUpdatesAndFolderMoveAppliesWithoutContentChange) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  desired_.revision = "rev2";
  desired_.dashboards[0].model = dashboard("ollama-llm", "Ollama LLM Performance", "rate(ollama_requests_total[5m])");
  desired_.dashboards[2].folder_title = "Moved Here";
  auto rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.updated, 1);
  EXPECT_EQ(rep.moved, 1);
  EXPECT_EQ(rep.drift_repaired, 0);
  EXPECT_EQ(rep.folders_created, 1);
  auto home = *get("home");
  EXPECT_EQ(home["meta"]["folderTitle"], "Moved Here");
  EXPECT_EQ(home["meta"]["folderUid"], folder_uid_for_title("Moved Here"));
  auto ollama = *get("ollama-llm");
  EXPECT_EQ(ollama["dashboard"]["panels"][0]["targets"][0]["expr"], "rate(ollama_requests_total[5m])");
  EXPECT_EQ(run(io_, admin_->dashboard_versions("ollama-llm", 1))[0]["message"], "stackd: manifest revision rev2");
}

TEST_F(GrafanaSync, RemovedFromManifestDeletesOnlyWhatStackdCreated) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  // A user's own dashboard, and a UI "Save as" copy that kept stackd's tag.
  json mine = {{"uid", "users-own"}, {"title", "Mine"}};
  ui_save(mine, "");
  json copy = (*get("node"))["dashboard"];
  copy.erase("id");
  copy["uid"] = "node-copy";
  copy["title"] = "Node copy";
  ui_save(copy, "");

  desired_.dashboards.erase(desired_.dashboards.begin() + 1);  // drop "node"
  Reconciler fresh(io_.get_executor());                        // ownership must not need memory
  auto rep = sync(fresh);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.deleted, 1);
  EXPECT_FALSE(get("node"));
  EXPECT_TRUE(get("users-own"));
  EXPECT_TRUE(get("node-copy"));
  EXPECT_TRUE(get("ollama-llm"));
}

TEST_F(GrafanaSync, BrokenLoadSkipsPruning) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  desired_.dashboards.pop_back();
  desired_.prune = false;  // a file failed to load: its uid is unknown
  auto rep = sync(r);
  EXPECT_EQ(rep.deleted, 0);
  EXPECT_TRUE(get("home"));
}

TEST_F(GrafanaSync, PasswordChangeUsesThePreviouslyAppliedOne) {
  Reconciler r(io_.get_executor());
  desired_.password = "second-pass";
  auto applied = dir_ / "state" / "grafana-admin-password.applied";
  std::filesystem::create_directories(applied.parent_path());
  std::ofstream(applied) << "first-pass";
  EXPECT_TRUE(run(io_, r.ensure_admin_password(desired_, applied)));
  EXPECT_FALSE(run(io_, r.ensure_admin_password(desired_, applied)));  // already equal

  Client with_new(io_.get_executor(), fake_->url(), {"admin", "second-pass", ""});
  EXPECT_EQ(run(io_, with_new.current_user())["login"], "admin");
  try {
    run(io_, admin_->current_user());  // the old password
    FAIL() << "old password still accepted";
  } catch (const GrafanaError& e) {
    EXPECT_EQ(e.status(), 401u);
  }
  // The change survives a Grafana restart (it lives in Grafana's database).
  fake_->stop();
  fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass");
  Client after(io_.get_executor(), fake_->url(), {"admin", "second-pass", ""});
  EXPECT_NO_THROW(run(io_, after.current_user()));

  // Neither password works: a clear error that names no password.
  desired_.base_url = fake_->url();
  desired_.password = "third-pass";
  Reconciler r2(io_.get_executor());
  try {
    run(io_, r2.ensure_admin_password(desired_, std::optional<std::string>("wrong-old")));
    FAIL();
  } catch (const GrafanaError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("rejects both"), std::string::npos);
    EXPECT_EQ(what.find("third-pass"), std::string::npos);
    EXPECT_EQ(what.find("wrong-old"), std::string::npos);
  }
}

TEST_F(GrafanaSync, DuplicateDatasourceNameIsReportedAndDashboardsStillSync) {
  json foreign = {{"uid", "foreign"}, {"name", "Prometheus"}, {"type", "prometheus"}, {"url", "http://x:9090"},
                  {"access", "proxy"}};
  run(io_, admin_->create_datasource(foreign));
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u) << all(rep.errors);
  EXPECT_NE(rep.errors[0].find("already has a datasource with this name (uid foreign)"), std::string::npos);
  EXPECT_NE(rep.errors[0].find("HTTP 409"), std::string::npos);
  EXPECT_EQ(rep.created, 3);
  EXPECT_EQ((*run(io_, admin_->get_datasource("foreign")))["url"], "http://x:9090");  // not touched
}

TEST_F(GrafanaSync, DatasourceEditedInUiIsRestored) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  json edited = {{"uid", "prometheus"}, {"name", "Prometheus"}, {"type", "prometheus"},
                 {"url", "http://elsewhere:9090"}, {"access", "proxy"}, {"isDefault", true}};
  run(io_, admin_->update_datasource("prometheus", edited));
  auto rep = sync(r);
  EXPECT_EQ(rep.datasources_updated, 1);
  EXPECT_EQ((*run(io_, admin_->get_datasource("prometheus")))["url"], "http://127.0.0.1:9090");
}

TEST_F(GrafanaSync, BadDashboardsAreReportedAndTheOthersSync) {
  desired_.dashboards.push_back({"no-uid.json", {{"title", "No uid"}}, ""});
  json needs_loki = dashboard("logs", "Logs");
  needs_loki["__inputs"] = {{{"name", "DS_LOKI"}, {"type", "datasource"}, {"pluginId", "loki"}}};
  desired_.dashboards.push_back({"logs.json", needs_loki, ""});
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  EXPECT_EQ(rep.created, 3);
  ASSERT_EQ(rep.errors.size(), 2u) << all(rep.errors);
  EXPECT_NE(all(rep.errors).find("no-uid.json: has no \"uid\""), std::string::npos);
  EXPECT_NE(all(rep.errors).find("logs.json: input DS_LOKI needs a datasource of type \"loki\""), std::string::npos);
}

TEST_F(GrafanaSync, WrongCredentialsAreOneClearError) {
  desired_.password = "nope";
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u) << all(rep.errors);
  EXPECT_NE(rep.errors[0].find("HTTP 401: credentials rejected"), std::string::npos);
  EXPECT_FALSE(get("home"));
}

TEST_F(GrafanaSync, GrafanaDownIsReportedThenConverges) {
  fake_->stop();
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u);
  EXPECT_NE(rep.errors[0].find("is not ready"), std::string::npos);
  fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass");
  desired_.base_url = fake_->url();
  admin_ = std::make_unique<Client>(io_.get_executor(), fake_->url(), Credentials{"admin", "first-pass", ""});
  rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.created, 3);
}
