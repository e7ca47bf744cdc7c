// The Grafana reconciler against the Grafana fake running as a process on
// 127.0.0.1, once per Grafana release the fake reproduces (10.4, 11.3, 12.0).
// Assertions are on what the fake holds afterwards (dashboards, folders,
// version history, failed logins), not on which calls were made.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "clients/grafana/grafana_client.hpp"
#include "clients/http/http_client.hpp"
#include "desired/grafana/grafana_state.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "runtime/fake_clock.hpp"
#include "tests/grafana/fake_grafana_process.hpp"

using namespace std::chrono_literals;

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

class GrafanaSync : public ::testing::TestWithParam<std::string> {
 protected:
  // Extra GF_* / FAKE_* environment for the fake, set by a test before SetUp's start.
  virtual std::vector<std::string> extra_env() const { return {}; }
  std::vector<std::string> fake_env() const {
    auto env = extra_env();
    env.push_back("FAKE_GRAFANA_VERSION=" + GetParam());
    return env;
  }
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      if (c == '/') c = '-';
    dir_ = std::filesystem::temp_directory_path() / ("stackd-gsync-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass", fake_env());
    desired_.base_url = fake_->url();
    desired_.user = "admin";
    desired_.password = "first-pass";
    desired_.revision = "rev1";
    desired_.datasources = {{"prometheus", "Prometheus", "prometheus", "http://127.0.0.1:9090", "proxy", true,
                             {{"timeInterval", "15s"}}}};
    desired_.dashboards = {prepare(dashboard("ollama-llm", "Ollama LLM Performance"), "ollama.json", "Frontier LLM"),
                           prepare(dashboard("node", "Node"), "node.json", "Frontier LLM"),
                           prepare(dashboard("home", "Home"), "home.json", "")};
    admin_ = std::make_unique<Client>(io_.get_executor(), fake_->url(), Credentials{"admin", "first-pass", ""});
  }
  void TearDown() override {
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  SyncReport sync(Reconciler& r) { return run(io_, r.reconcile(desired_)); }
  // A dashboard as the desired state holds it (placeholders resolved, tagged).
  stackd::desired::DashboardSpec prepare(const json& model, const std::string& source, const std::string& folder) {
    return prepare_dashboard(model, source, folder, desired_.datasources);
  }
  std::optional<json> get(const std::string& uid) { return run(io_, admin_->get_dashboard(uid)); }
  std::size_t history(const std::string& uid) { return run(io_, admin_->dashboard_versions(uid, 1000)).size(); }
  // A raw call, for what the client has no method for (the fake's own table,
  // Grafana 12's /apis, folder moves).
  json raw(stackd::http::Verb verb, const std::string& target, const std::string& authorization = "",
           const json* body = nullptr) {
    stackd::http::Client http(io_.get_executor(), stackd::http::Endpoint::parse(fake_->url()));
    stackd::http::Request req;
    req.method = verb;
    req.target = target;
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    if (body) {
      req.body = body->dump();
      req.content_type = "application/json";
    }
    auto res = run(io_, http.send(req));
    auto j = json::parse(res.body, nullptr, false);
    return j.is_discarded() ? json{{"status", res.status}} : json{{"status", res.status}, {"body", j}};
  }
  int failed_logins() { return raw(stackd::http::Verb::get, "/fake/login-attempts")["body"]["total"].get<int>(); }
  static constexpr const char* kAdminBasic = "Basic YWRtaW46Zmlyc3QtcGFzcw==";  // admin:first-pass
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

TEST_P(GrafanaSync, InitialSyncThenUnchangedResyncWritesNothing) {
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
  EXPECT_EQ(versions[0]["message"], "Initial save");  // Grafana's list masks a first version's message
  EXPECT_EQ(run(io_, admin_->dashboard_version("ollama-llm", 1))["message"], "stackd: manifest revision rev1");

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

TEST_P(GrafanaSync, UiEditIsRestoredAndHistoryGrowsByOne) {
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

TEST_P(GrafanaSync, UiDeleteIsRecreated) {
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

TEST_P(GrafanaSync, ManifestChangeUpdatesAndFolderMoveAppliesWithoutContentChange) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  desired_.revision = "rev2";
  desired_.dashboards[0] =
      prepare(dashboard("ollama-llm", "Ollama LLM Performance", "rate(ollama_requests_total[5m])"), "ollama.json",
              "Frontier LLM");
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

TEST_P(GrafanaSync, RemovedFromManifestDeletesOnlyWhatStackdCreated) {
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

TEST_P(GrafanaSync, BrokenLoadSkipsPruning) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  desired_.dashboards.pop_back();
  desired_.prune = false;  // a file failed to load: its uid is unknown
  auto rep = sync(r);
  EXPECT_EQ(rep.deleted, 0);
  EXPECT_TRUE(get("home"));
}

TEST_P(GrafanaSync, PasswordChangeUsesThePreviouslyAppliedOne) {
  Reconciler r(io_.get_executor());
  desired_.password = "second-pass";
  desired_.manage_password = true;
  desired_.previous_password = "first-pass";  // what the Grafana container's file holds
  auto p = run(io_, r.plan(desired_));
  EXPECT_EQ(p.password, SyncPlan::Password::ChangeFromPrevious);
  EXPECT_EQ(p.to_changes(desired_).at(0).name, "Grafana admin password of \"admin\"");
  EXPECT_TRUE(sync(r).ok());
  EXPECT_EQ(run(io_, r.plan(desired_)).password, SyncPlan::Password::Current);  // already equal
  desired_.manage_password = false;

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
  fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass", fake_env());
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

TEST_P(GrafanaSync, DuplicateDatasourceNameIsReportedAndDashboardsStillSync) {
  json foreign = {{"uid", "foreign"}, {"name", "Prometheus"}, {"type", "prometheus"}, {"url", "http://x:9090"},
                  {"access", "proxy"}};
  run(io_, admin_->create_datasource(foreign));
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u) << all(rep.errors);
  EXPECT_NE(rep.errors[0].find("already has a datasource with this name (uid foreign)"), std::string::npos);
  // The plan saw the name taken: no create was sent for Grafana to refuse.
  EXPECT_EQ(rep.created, 3);
  EXPECT_EQ((*run(io_, admin_->get_datasource("foreign")))["url"], "http://x:9090");  // not touched
}

TEST_P(GrafanaSync, DatasourceEditedInUiIsRestored) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  json edited = {{"uid", "prometheus"}, {"name", "Prometheus"}, {"type", "prometheus"},
                 {"url", "http://elsewhere:9090"}, {"access", "proxy"}, {"isDefault", true}};
  run(io_, admin_->update_datasource("prometheus", edited));
  auto rep = sync(r);
  EXPECT_EQ(rep.datasources_updated, 1);
  EXPECT_EQ((*run(io_, admin_->get_datasource("prometheus")))["url"], "http://127.0.0.1:9090");
}

// A dashboard that needs a datasource type the stack does not have never
// reaches a pass: the desired state refuses it when it is rendered.
TEST_P(GrafanaSync, ADashboardNeedingAMissingDatasourceTypeIsRefusedBeforeAnyPass) {
  json needs_loki = dashboard("logs", "Logs");
  needs_loki["__inputs"] = {{{"name", "DS_LOKI"}, {"type", "datasource"}, {"pluginId", "loki"}}};
  try {
    prepare(needs_loki, "logs.json", "");
    FAIL() << "prepared";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("input DS_LOKI needs a datasource of type \"loki\""), std::string::npos)
        << e.what();
  }
}

TEST_P(GrafanaSync, WrongCredentialsAreOneClearError) {
  desired_.password = "nope";
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u) << all(rep.errors);
  EXPECT_TRUE(rep.credentials_rejected);
  EXPECT_NE(rep.errors[0].find("rejects the admin credentials for user \"admin\""), std::string::npos) << rep.errors[0];
  EXPECT_NE(rep.errors[0].find("a lockout is likely"), std::string::npos);
  EXPECT_EQ(rep.errors[0].find("nope"), std::string::npos);  // never the password
  EXPECT_FALSE(get("home"));
}

TEST_P(GrafanaSync, GrafanaDownIsReportedThenConverges) {
  fake_->stop();
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_EQ(rep.errors.size(), 1u);
  EXPECT_NE(rep.errors[0].find("is not ready"), std::string::npos);
  fake_ = std::make_unique<FakeGrafanaProcess>(STACKD_FAKE_GRAFANA_BIN, dir_, "first-pass", fake_env());
  desired_.base_url = fake_->url();
  admin_ = std::make_unique<Client>(io_.get_executor(), fake_->url(), Credentials{"admin", "first-pass", ""});
  rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.created, 3);
}

INSTANTIATE_TEST_SUITE_P(Grafana, GrafanaSync, ::testing::Values("10.4", "11.3", "12.0"));

// The cases, on every release.

TEST_P(GrafanaSync, NeverUpdatedStackdDashboardIsPrunedWhenItLeavesTheManifest) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  ASSERT_EQ(history("home"), 1u);  // only its "Initial save" in the list
  desired_.dashboards.pop_back();   // drop "home"
  Reconciler fresh(io_.get_executor());
  auto rep = sync(fresh);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.deleted, 1);
  EXPECT_FALSE(get("home"));
}

TEST_P(GrafanaSync, PasswordChangedElsewhereNeverLocksTheAdminOut) {
  // Someone changed the admin password in the UI; the manifest now asks for a
  // new one and stackd's applied-password record says the old one: both fail.
  run(io_, admin_->change_own_password("first-pass", "changed-in-ui"));
  desired_.password = "from-manifest";
  desired_.manage_password = true;
  desired_.previous_password = "first-pass";
  stackd::runtime::FakeClock clock;
  Reconciler r(io_.get_executor(), clock);
  SyncReport rep;
  for (int pass = 0; pass < 40; ++pass) {  // 40 passes on a 500 ms backoff
    rep = sync(r);
    clock.advance(500ms);
  }
  EXPECT_TRUE(rep.credentials_rejected);
  EXPECT_NE(rep.credentials_message.find("a lockout is likely"), std::string::npos) << rep.credentials_message;
  EXPECT_EQ(rep.credentials_message.find("from-manifest"), std::string::npos);
  EXPECT_EQ(failed_logins(), 2);
  clock.advance(6min);  // the long backoff: one more try
  rep = sync(r);
  rep = sync(r);
  EXPECT_TRUE(rep.credentials_rejected);
  EXPECT_LE(failed_logins(), 4);
  // Not locked: the person who changed it still signs in.
  Client person(io_.get_executor(), fake_->url(), {"admin", "changed-in-ui", ""});
  EXPECT_EQ(run(io_, person.current_user())["login"], "admin");
  // The user fixes the password file: tried at once, no waiting.
  desired_.password = "changed-in-ui";
  rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_FALSE(rep.credentials_rejected);
  EXPECT_EQ(rep.created, 3);
}

class GrafanaSyncTokenOnly : public GrafanaSync {
 protected:
  std::vector<std::string> extra_env() const override {
    return {"GF_AUTH_BASIC_ENABLED=false", "FAKE_GRAFANA_API_TOKEN=glsa_stackd_test"};
  }
};

TEST_P(GrafanaSyncTokenOnly, TokenSyncsEverythingWithBasicAuthDisabled) {
  Reconciler basic(io_.get_executor());
  auto rep = sync(basic);
  EXPECT_TRUE(rep.credentials_rejected);
  EXPECT_NE(rep.credentials_message.find("does not accept basic auth"), std::string::npos) << rep.credentials_message;
  EXPECT_NE(rep.credentials_message.find("spec.grafana.serviceAccountTokenFile"), std::string::npos);

  desired_.service_account_token = "glsa_stackd_test";
  desired_.manage_password = true;  // ignored with a token
  Reconciler r(io_.get_executor());
  rep = sync(r);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.created, 3);
  EXPECT_EQ(rep.datasources_created, 1);
  EXPECT_EQ(failed_logins(), 0);
  auto got = raw(stackd::http::Verb::get, "/api/dashboards/uid/ollama-llm", "Bearer glsa_stackd_test");
  EXPECT_EQ(got["body"]["meta"]["folderTitle"], "Frontier LLM");
  rep = sync(r);
  EXPECT_EQ(rep.unchanged, 3);
}

INSTANTIATE_TEST_SUITE_P(Grafana, GrafanaSyncTokenOnly, ::testing::Values("10.4", "11.3", "12.0"));

TEST_P(GrafanaSync, SameTitleDashboardOfSomeoneElseIsNeverOverwritten) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  json theirs = {{"uid", "theirs"}, {"title", "Their Board"}, {"panels", json::array()}};
  ui_save(theirs, "");
  json home = desired_.dashboards[2].model;
  home["title"] = "Their Board";  // "home" (root) takes the same title
  desired_.dashboards[2] = prepare(home, "home.json", "");
  desired_.revision = "rev2";
  auto rep = sync(r);
  auto now_theirs = *get("theirs");
  EXPECT_EQ(now_theirs["dashboard"]["title"], "Their Board");
  EXPECT_EQ(now_theirs["dashboard"]["panels"].size(), 0u);
  EXPECT_EQ(history("theirs"), 1u);
  if (GetParam() == "10.4") {  // titles unique per folder before 11.3
    ASSERT_EQ(rep.errors.size(), 1u) << all(rep.errors);
    EXPECT_NE(rep.errors[0].find("another dashboard titled \"Their Board\""), std::string::npos) << rep.errors[0];
    EXPECT_EQ((*get("home"))["dashboard"]["title"], "Home");
  } else {
    EXPECT_TRUE(rep.ok()) << all(rep.errors);
    EXPECT_EQ((*get("home"))["dashboard"]["title"], "Their Board");
  }
}

TEST_P(GrafanaSync, AliasedDatasourceTypeCausesNoWriteOnAnUnchangedResync) {
  desired_.datasources.push_back({"pg", "Postgres", "postgres", "db.internal:5432", "proxy", false, json::object()});
  Reconciler r(io_.get_executor());
  auto rep = sync(r);
  ASSERT_TRUE(rep.ok()) << all(rep.errors);
  auto pg = *run(io_, admin_->get_datasource("pg"));
  EXPECT_EQ(pg["type"], "grafana-postgresql-datasource");
  const auto version = pg["version"];
  Reconciler fresh(io_.get_executor());
  for (Reconciler* x : {&r, &fresh}) {
    rep = sync(*x);
    EXPECT_EQ(rep.datasources_updated, 0);
    EXPECT_EQ(rep.datasources_unchanged, 2);
  }
  EXPECT_EQ((*run(io_, admin_->get_datasource("pg")))["version"], version);  // no write happened
}

class GrafanaSync12 : public GrafanaSync {};

TEST_P(GrafanaSync12, SchemaV2DashboardIsReportedOnceAndLeftAlone) {
  json v2 = {{"metadata", {{"name", "node"}}}, {"spec", {{"title", "Node v2"}, {"elements", json::object()}}}};
  ASSERT_EQ(raw(stackd::http::Verb::post, "/apis/dashboard.grafana.app/v2alpha1/namespaces/default/dashboards",
                kAdminBasic, &v2)["status"],
            201);
  Reconciler r(io_.get_executor());
  for (int pass = 0; pass < 3; ++pass) {
    auto rep = sync(r);
    EXPECT_TRUE(rep.ok()) << all(rep.errors);
    EXPECT_EQ(rep.left_alone, 1);
    EXPECT_EQ(rep.warnings.size(), pass == 0 ? 1u : 0u);
    if (pass == 0 && !rep.warnings.empty()) EXPECT_NE(rep.warnings[0].find("schema-v2"), std::string::npos);
  }
  auto still = raw(stackd::http::Verb::get, "/api/dashboards/uid/node", kAdminBasic);
  EXPECT_EQ(still["status"], 406);  // untouched: still the v2 one
}

INSTANTIATE_TEST_SUITE_P(Grafana, GrafanaSync12, ::testing::Values("12.0"));

class GrafanaSyncNested : public GrafanaSync {};

TEST_P(GrafanaSyncNested, FolderMovedUnderAnotherIsFound) {
  Reconciler r(io_.get_executor());
  ASSERT_TRUE(sync(r).ok());
  run(io_, admin_->create_folder("team", "Team"));
  json move = {{"parentUid", "team"}};
  ASSERT_EQ(raw(stackd::http::Verb::post, "/api/folders/" + folder_uid_for_title("Frontier LLM") + "/move",
                kAdminBasic, &move)["status"],
            200);
  ASSERT_EQ(run(io_, admin_->folders()).size(), 1u);  // the root lists only "Team" now
  desired_.revision = "rev2";
  desired_.dashboards[1] = prepare(dashboard("node", "Node", "node_load1"), "node.json", "Frontier LLM");
  Reconciler fresh(io_.get_executor());
  auto rep = sync(fresh);
  EXPECT_TRUE(rep.ok()) << all(rep.errors);
  EXPECT_EQ(rep.folders_created, 0);
  EXPECT_EQ(rep.updated, 1);
  auto node = *get("node");
  EXPECT_EQ(node["meta"]["folderUid"], folder_uid_for_title("Frontier LLM"));
  EXPECT_EQ(node["dashboard"]["panels"][0]["targets"][0]["expr"], "node_load1");
}

INSTANTIATE_TEST_SUITE_P(Grafana, GrafanaSyncNested, ::testing::Values("11.3", "12.0"));

// The image entrypoint's __FILE rules, as the fake reproduces them
// (grafana/grafana packaging/docker/run.sh).
TEST(FakeGrafanaEntrypoint, FileVariableNextToItsPlainOneRefusesToStartAndOnlyTrailingNewlinesGo) {
  auto dir = std::filesystem::temp_directory_path() / ("stackd-gentry-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_THROW(FakeGrafanaProcess(STACKD_FAKE_GRAFANA_BIN, dir, "pw", {"GF_SECURITY_ADMIN_PASSWORD=other"}),
               std::runtime_error);
  {
    // FakeGrafanaProcess writes "<password>\n"; a password ending in spaces keeps them.
    FakeGrafanaProcess fake(STACKD_FAKE_GRAFANA_BIN, dir, " spaced pw  ");
    net::io_context io;
    Client c(io.get_executor(), fake.url(), {"admin", " spaced pw  ", ""});
    EXPECT_EQ(run(io, c.current_user())["login"], "admin");
  }
  std::filesystem::remove_all(dir);
}
