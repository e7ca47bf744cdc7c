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
  Store s({});
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
