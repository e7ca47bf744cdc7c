// The fake against Grafana's documented examples and error semantics
// (grafana.com/docs/grafana/latest/developers/http_api/{dashboard,folder,data_source}).
#include "tests/fakes/grafana/fake_grafana_store.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/grafana/fake_grafana_server.hpp"

using namespace stackd::fakes::grafana;

namespace {

json dash_body(const std::string& uid, const std::string& title, bool overwrite, json extra = json::object()) {
  json d = {{"id", nullptr}, {"uid", uid}, {"title", title}, {"tags", {"templated"}}, {"schemaVersion", 16}};
  for (auto& [k, v] : extra.items()) d[k] = v;
  return {{"dashboard", d}, {"message", "Made changes to xyz"}, {"overwrite", overwrite}};
}

}  // namespace

TEST(FakeGrafanaStore, CreateThenUpdateBumpsVersionAndKeepsHistory) {
  StoreOptions twelve;
  twelve.version = GrafanaVersion::v12_0;  // the {"versions": [...]} shape
  Store s(twelve);
  auto r = s.save_dashboard(dash_body("cIBgcSjkk", "Production Overview", false), "admin");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["status"], "success");
  EXPECT_EQ(r.body["version"], 1);
  EXPECT_EQ(r.body["uid"], "cIBgcSjkk");
  EXPECT_EQ(r.body["slug"], "production-overview");
  EXPECT_EQ(r.body["url"], "/d/cIBgcSjkk/production-overview");

  // Identical content still makes a new version (why blind re-POSTs spam history).
  r = s.save_dashboard(dash_body("cIBgcSjkk", "Production Overview", true), "admin");
  EXPECT_EQ(r.body["version"], 2);
  auto g = s.get_dashboard("cIBgcSjkk");
  EXPECT_EQ(g.body["dashboard"]["version"], 2);
  EXPECT_EQ(g.body["meta"]["folderTitle"], "General");
  EXPECT_EQ(g.body["dashboard"]["id"], r.body["id"]);
  auto v = s.dashboard_versions("cIBgcSjkk", {});
  ASSERT_EQ(v.body["versions"].size(), 2u);
  EXPECT_EQ(v.body["versions"][0]["version"], 2);
  EXPECT_EQ(v.body["versions"][0]["message"], "Made changes to xyz");
}

TEST(FakeGrafanaStore, VersionMismatchWithoutOverwriteIs412) {
  Store s({});
  s.save_dashboard(dash_body("a", "A", false), "admin");
  auto r = s.save_dashboard(dash_body("a", "A", false), "admin");  // no version = 0 != 1
  EXPECT_EQ(r.status, 412u);
  EXPECT_EQ(r.body["status"], "version-mismatch");
  EXPECT_EQ(r.body["message"], "The dashboard has been changed by someone else");
  r = s.save_dashboard(dash_body("a", "A", false, {{"version", 1}}), "admin");
  EXPECT_EQ(r.status, 200u);
}

TEST(FakeGrafanaStore, UnknownIdIs404AndUpdatesWithoutFolderMoveToRoot) {
  Store s({});
  auto r = s.save_dashboard(dash_body("a", "A", true, {{"id", 999}}), "admin");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body["status"], "not-found");
  auto f = s.create_folder({{"uid", "nErXDvCkzz"}, {"title", "Department ABC"}}, "admin");
  ASSERT_EQ(f.status, 200u);
  EXPECT_EQ(f.body["url"], "/dashboards/f/nErXDvCkzz/department-abc");
  json body = dash_body("a", "A", true);
  body["folderUid"] = "nErXDvCkzz";
  s.save_dashboard(body, "admin");
  EXPECT_EQ(s.get_dashboard("a").body["meta"]["folderUid"], "nErXDvCkzz");
  s.save_dashboard(dash_body("a", "A", true), "admin");
  EXPECT_EQ(s.get_dashboard("a").body["meta"]["folderUid"], "");
  body["folderUid"] = "missing";
  EXPECT_EQ(s.save_dashboard(body, "admin").status, 400u);
}

TEST(FakeGrafanaStore, UniqueTitlesModeReproducesNameExistsAndTakeover) {
  StoreOptions o;
  o.unique_titles = true;
  Store s(o);
  s.save_dashboard(dash_body("first", "Same Title", false), "admin");
  auto r = s.save_dashboard(dash_body("second", "Same Title", false), "admin");
  EXPECT_EQ(r.status, 412u);
  EXPECT_EQ(r.body["status"], "name-exists");
  r = s.save_dashboard(dash_body("second", "Same Title", true), "admin");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["uid"], "first");  // the posted uid was silently discarded
}

TEST(FakeGrafanaStore, ProvisionedDashboardRefusesSaveAndDelete) {
  Store s({});
  s.load_json({{"dashboards", {{{"id", 7}, {"uid", "prov"}, {"version", 1}, {"provisioned", true},
                                {"data", {{"uid", "prov"}, {"title", "P"}}}}}}});
  auto r = s.save_dashboard(dash_body("prov", "P", true), "admin");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body["message"], "Cannot save provisioned dashboard");
  EXPECT_EQ(s.delete_dashboard("prov").status, 400u);
}

TEST(FakeGrafanaStore, SearchFiltersAndPages) {
  Store s({});
  for (int i = 0; i < 5; ++i) s.save_dashboard(dash_body("d" + std::to_string(i), "Dash " + std::to_string(i), false), "admin");
  json tagged = dash_body("t", "Tagged", false);
  tagged["dashboard"]["tags"] = {"stackd-managed", "x"};
  s.save_dashboard(tagged, "admin");
  Query q{{"type", "dash-db"}, {"limit", "2"}, {"page", "3"}};
  auto r = s.search(q);
  ASSERT_EQ(r.body.size(), 2u);
  EXPECT_EQ(r.body[0]["title"], "Dash 4");
  EXPECT_EQ(r.body[1]["title"], "Tagged");
  Query t{{"tag", "stackd-managed"}, {"tag", "x"}};
  EXPECT_EQ(s.search(t).body.size(), 1u);
  EXPECT_FALSE(s.search(t).body[0].contains("version"));  // search hits carry no version
}

TEST(FakeGrafanaStore, FolderConflictsAndDeleteTakesDashboards) {
  Store s({});
  ASSERT_EQ(s.create_folder({{"uid", "f1"}, {"title", "F"}}, "admin").status, 200u);
  EXPECT_EQ(s.create_folder({{"uid", "f1"}, {"title", "Other"}}, "admin").status, 409u);
  EXPECT_EQ(s.update_folder("f1", {{"title", "G"}}, "admin").status, 412u);
  EXPECT_EQ(s.update_folder("f1", {{"title", "G"}, {"version", 1}}, "admin").status, 200u);
  json body = dash_body("in", "In", false);
  body["folderUid"] = "f1";
  s.save_dashboard(body, "admin");
  auto r = s.delete_folder("f1");
  EXPECT_EQ(r.body["message"], "Folder deleted");
  EXPECT_EQ(s.get_dashboard("in").status, 404u);
}

TEST(FakeGrafanaStore, DatasourceDuplicatesAre409AndReadOnlyIs403) {
  Store s({});
  json ds = {{"name", "test_datasource"}, {"type", "graphite"}, {"url", "http://mydatasource.com"},
             {"access", "proxy"}, {"basicAuth", false}, {"secureJsonData", {{"basicAuthPassword", "s3cret"}}}};
  auto r = s.create_datasource(ds);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["message"], "Datasource added");
  EXPECT_EQ(r.body["name"], "test_datasource");
  std::string uid = r.body["datasource"]["uid"];
  EXPECT_EQ(s.get_datasource_by_uid(uid).body["secureJsonFields"]["basicAuthPassword"], true);
  EXPECT_EQ(s.get_datasource_by_uid(uid).body.dump().find("s3cret"), std::string::npos);
  r = s.create_datasource(ds);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.body["message"], "data source with the same name already exists");
  ds["name"] = "other";
  ds["uid"] = uid;
  EXPECT_EQ(s.create_datasource(ds).status, 409u);
  s.load_json({{"datasources", {{{"uid", "ro"}, {"name", "RO"}, {"type", "prometheus"}, {"readOnly", true}}}}});
  EXPECT_EQ(s.update_datasource("ro", {{"name", "RO"}, {"type", "prometheus"}}).status, 403u);
  EXPECT_EQ(s.delete_datasource_by_uid("ro").status, 403u);
  EXPECT_EQ(s.get_datasource_by_name("RO").status, 200u);
}

TEST(FakeGrafanaStore, PasswordChangeNeedsTheOldPassword) {
  Store s({});
  EXPECT_TRUE(s.check_basic("admin", "admin"));
  EXPECT_EQ(s.change_own_password({{"oldPassword", "wrong"}, {"newPassword", "newpass"}}).status, 401u);
  EXPECT_EQ(s.change_own_password({{"oldPassword", "admin"}, {"newPassword", "abc"}}).status, 400u);
  EXPECT_EQ(s.change_own_password({{"oldPassword", "admin"}, {"newPassword", "newpass"}}).status, 200u);
  EXPECT_FALSE(s.check_basic("admin", "admin"));
  EXPECT_TRUE(s.check_basic("admin", "newpass"));
  // A restart keeps the changed password even though the environment says otherwise.
  Store restarted({});
  restarted.load_json(s.to_json());
  EXPECT_TRUE(restarted.check_basic("admin", "newpass"));
}

TEST(FakeGrafanaServer, AuthAndRouting) {
  boost::asio::io_context io;
  Store s({});
  ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  Server server(io, s, o);
  EXPECT_EQ(server.handle("GET", "/api/health", "", "").status, 200u);
  EXPECT_EQ(server.handle("GET", "/api/search", "", "").status, 401u);
  EXPECT_EQ(server.handle("GET", "/api/search", "Basic YWRtaW46d3Jvbmc=", "").status, 401u);  // admin:wrong
  EXPECT_EQ(server.handle("GET", "/api/search", "Basic YWRtaW46YWRtaW4=", "").status, 200u);  // admin:admin
  EXPECT_EQ(server.handle("GET", "/api/dashboards/uid/nope", "Basic YWRtaW46YWRtaW4=", "").status, 404u);
  EXPECT_EQ(server.handle("POST", "/api/dashboards/db", "Basic YWRtaW46YWRtaW4=", "{not json").status, 400u);
}

// ---- Per-version behaviour. Each test names the Grafana source file or docs
// page it follows.

namespace {
StoreOptions at(GrafanaVersion v) {
  StoreOptions o;
  o.version = v;
  return o;
}
}  // namespace

// pkg/api/dashboard.go (GetDashboardVersions / GetDashboardVersion): the list
// masks the first version's message as "Initial save"; the single version has it.
TEST(FakeGrafanaVersions, ListMasksTheFirstMessageAndTheSingleVersionDoesNot) {
  for (auto v : {GrafanaVersion::v10_4, GrafanaVersion::v11_3, GrafanaVersion::v12_0}) {
    Store s(at(v));
    json body = dash_body("a", "A", false);
    body["message"] = "stackd: manifest revision r1";
    s.save_dashboard(body, "admin");
    body["message"] = "second";
    body["overwrite"] = true;
    s.save_dashboard(body, "admin");
    auto list = s.dashboard_versions("a", {}).body;
    const json& items = list.is_array() ? list : list["versions"];
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["message"], "second");
    EXPECT_EQ(items[1]["message"], "Initial save");
    EXPECT_EQ(items[1]["parentVersion"], 0);
    EXPECT_EQ(s.dashboard_version("a", "1").body["message"], "stackd: manifest revision r1");
    EXPECT_EQ(s.dashboard_version("a", "7").status, 500u);  // "Dashboard version 7 not found for dashboardId N"
  }
}

// Docs v11.4 developers/http_api/dashboard_versions: a bare array; docs v12.4
// api-reference/http-api/dashboard_versions: {"continueToken", "versions"}.
TEST(FakeGrafanaVersions, ListShapeFollowsTheRelease) {
  for (auto v : {GrafanaVersion::v10_4, GrafanaVersion::v11_3}) {
    Store s(at(v));
    s.save_dashboard(dash_body("a", "A", false), "admin");
    EXPECT_TRUE(s.dashboard_versions("a", {}).body.is_array());
  }
  Store s(at(GrafanaVersion::v12_0));
  s.save_dashboard(dash_body("a", "A", false), "admin");
  auto body = s.dashboard_versions("a", {}).body;
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["continueToken"], "");
  EXPECT_EQ(body["versions"].size(), 1u);
}

// pkg/services/loginattempt/loginattemptimpl/login_attempt.go (5 minutes,
// count >= max_attempts) and pkg/services/authn/clients/password.go (Validate
// before the password check; errLoginAttemptBlocked).
TEST(FakeGrafanaLogin, FiveFailuresInFiveMinutesBlockEvenTheRightPassword) {
  auto now = std::chrono::system_clock::now();
  StoreOptions o;
  o.now = [&] { return now; };
  Store s(o);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.authenticate_password("admin", "wrong"), PasswordCheck::wrong);
  EXPECT_EQ(s.authenticate_password("Admin", "admin"), PasswordCheck::ok);  // 4 < 5: still fine
  EXPECT_EQ(s.authenticate_password("ADMIN", "wrong"), PasswordCheck::wrong);  // usernames are lower-cased
  EXPECT_EQ(s.recent_failed_logins("admin"), 5);
  EXPECT_EQ(s.authenticate_password("admin", "admin"), PasswordCheck::blocked);
  EXPECT_EQ(s.recent_failed_logins("admin"), 5);  // a blocked try adds nothing
  now += std::chrono::minutes(5) + std::chrono::seconds(1);
  EXPECT_EQ(s.authenticate_password("admin", "admin"), PasswordCheck::ok);
  // An unknown user adds no attempt (only an invalid password does).
  EXPECT_EQ(s.authenticate_password("nobody", "x"), PasswordCheck::wrong);
  EXPECT_EQ(s.recent_failed_logins("nobody"), 0);
}

// pkg/services/dashboards/errors.go (ErrDashboardWithSameNameAsFolder,
// ErrDashboardWithSameNameInFolderExists) and the service's
// getExistingDashboardByTitleAndFolder, removed in 11.3.
TEST(FakeGrafanaTitles, Before11_3TitlesAreUniqueAndAFolderTitleIs400) {
  Store old(at(GrafanaVersion::v10_4));
  old.save_dashboard(dash_body("theirs", "Same", false), "admin");
  auto r = old.save_dashboard(dash_body("mine", "Same", false), "admin");
  EXPECT_EQ(r.status, 412u);
  EXPECT_EQ(r.body["status"], "name-exists");
  r = old.save_dashboard(dash_body("mine", "Same", true), "admin");
  EXPECT_EQ(r.body["uid"], "theirs");  // overwrite took the other one over
  old.create_folder({{"uid", "f"}, {"title", "Ops"}}, "admin");
  r = old.save_dashboard(dash_body("ops", "Ops", true), "admin");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body["status"], "name-match");
  EXPECT_EQ(r.body["message"], "Dashboard name cannot be the same as folder");

  Store now(at(GrafanaVersion::v11_3));
  now.save_dashboard(dash_body("theirs", "Same", false), "admin");
  EXPECT_EQ(now.save_dashboard(dash_body("mine", "Same", false), "admin").body["uid"], "mine");
}

// Grafana 12 schema-v2 dashboards: the legacy /api GET refuses them with 406
// and points at /apis/dashboard.grafana.app (pkg/api/dashboard.go, 12.x).
TEST(FakeGrafanaV2, LegacyGetOfAV2DashboardIs406) {
  Store s(at(GrafanaVersion::v12_0));
  auto r = s.create_v2_dashboard({{"metadata", {{"name", "v2dash"}}}, {"spec", {{"title", "V2"}}}}, "admin");
  ASSERT_EQ(r.status, 201u);
  auto g = s.get_dashboard("v2dash");
  EXPECT_EQ(g.status, 406u);
  EXPECT_NE(g.body["message"].get<std::string>().find("/apis/dashboard.grafana.app/"), std::string::npos);
  Store old(at(GrafanaVersion::v11_3));
  EXPECT_EQ(old.create_v2_dashboard({{"metadata", {{"name", "x"}}}, {"spec", json::object()}}, "admin").status, 404u);
}

// public/app/plugins/datasource/grafana-postgresql-datasource/plugin.json:
// "id": "grafana-postgresql-datasource", "aliasIDs": ["postgres"]; Grafana
// stores and lists the plugin's id.
TEST(FakeGrafanaDatasources, AliasTypeIsStoredAsThePluginId) {
  Store s({});
  auto r = s.create_datasource({{"uid", "pg"}, {"name", "PG"}, {"type", "postgres"}, {"url", "db:5432"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["datasource"]["type"], "grafana-postgresql-datasource");
  EXPECT_EQ(s.list_datasources().body[0]["type"], "grafana-postgresql-datasource");
}

// pkg/api/folder.go (GetFolders lists the children of parentUid, the root by
// default, with nested folders on from 11.0; GetFolderByUID has parentUid and
// parents); MoveFolder.
TEST(FakeGrafanaFolders, NestedListingIsRootOnlyAndLookupByUidFindsAMovedFolder) {
  Store s(at(GrafanaVersion::v11_3));
  s.create_folder({{"uid", "team"}, {"title", "Team"}}, "admin");
  s.create_folder({{"uid", "llm"}, {"title", "Frontier LLM"}}, "admin");
  ASSERT_EQ(s.move_folder("llm", {{"parentUid", "team"}}).status, 200u);
  auto root = s.list_folders({}).body;
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0]["uid"], "team");
  auto children = s.list_folders({{"parentUid", "team"}}).body;
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0]["parentUid"], "team");
  auto f = s.get_folder("llm").body;
  EXPECT_EQ(f["parentUid"], "team");
  EXPECT_EQ(f["parents"][0]["uid"], "team");
  EXPECT_EQ(s.create_folder({{"uid", "llm"}, {"title", "Frontier LLM"}}, "admin").status, 409u);

  Store old(at(GrafanaVersion::v10_4));  // no nesting: every folder is listed, parentUid ignored
  old.create_folder({{"uid", "a"}, {"title", "A"}}, "admin");
  old.create_folder({{"uid", "b"}, {"title", "B"}, {"parentUid", "a"}}, "admin");
  EXPECT_EQ(old.list_folders({}).body.size(), 2u);
}

// Basic auth off (GF_AUTH_BASIC_ENABLED=false): no authn client takes the
// header (pkg/services/authn/clients/basic.go is not registered), so
// pkg/services/authn/authnimpl answers errCantAuthenticateReq, auth.unauthorized;
// a service-account token still works (Bearer).
TEST(FakeGrafanaServer, BasicDisabledRefusesBasicButTakesTokensAndBlockedSaysSo) {
  boost::asio::io_context io;
  Store s({});
  ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.api_token = "glsa_token";
  o.basic_auth_enabled = false;
  Server server(io, s, o);
  auto r = server.handle("GET", "/api/search", "Basic YWRtaW46YWRtaW4=", "");  // admin:admin
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(json::parse(r.body)["messageId"], "auth.unauthorized");
  EXPECT_EQ(server.handle("GET", "/api/search", "Bearer glsa_token", "").status, 200u);
  EXPECT_EQ(json::parse(server.handle("GET", "/api/search", "Bearer nope", "").body)["messageId"], "api-key.invalid");

  Store s2({});
  ServerOptions o2 = o;
  o2.basic_auth_enabled = true;
  Server basic(io, s2, o2);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(json::parse(basic.handle("GET", "/api/user", "Basic YWRtaW46d3Jvbmc=", "").body)["messageId"],
              "password-auth.failed");  // admin:wrong
  r = basic.handle("GET", "/api/user", "Basic YWRtaW46YWRtaW4=", "");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(json::parse(r.body)["messageId"], "login-attempt.blocked");
  EXPECT_EQ(json::parse(r.body)["message"], "Invalid username or password");
}
