#include "reconcilers/grafana/grafana_reconciler.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "clients/grafana/grafana_client.hpp"
#include "common/sha256.hpp"
#include "desired/grafana/canonical_dashboard.hpp"
#include "desired/grafana/grafana_state.hpp"
#include "reconcilers/grafana/dashboard_changes.hpp"

namespace stackd::grafana {

using nlohmann::json;

namespace {

json datasource_body(const DatasourceSpec& d) {
  return {{"uid", d.uid},           {"name", d.name},         {"type", d.type},
          {"url", d.url},           {"access", d.access},     {"isDefault", d.is_default},
          {"jsonData", d.json_data}, {"basicAuth", false}};
}

// Old -> new of every field that differs; empty when Grafana's copy matches.
// `answered`: the type Grafana stored the last time stackd wrote this desired
// type, for aliases stackd's table does not know.
std::vector<runtime::FieldChange> datasource_differences(const DatasourceSpec& d, const json& remote,
                                                         const std::string& answered) {
  std::vector<runtime::FieldChange> out;
  const std::string type = remote.value("type", "");
  const bool same_type = type == d.type || type == canonical_datasource_type(d.type) ||
                         (!answered.empty() && type == answered);
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  if (remote.value("name", "") != d.name) out.push_back({"name", remote.value("name", ""), d.name});
  if (!same_type) out.push_back({"type", type, d.type});
  if (remote.value("url", "") != d.url) out.push_back({"url", remote.value("url", ""), d.url});
  if (remote.value("access", "") != d.access) out.push_back({"access", remote.value("access", ""), d.access});
  if (remote.value("isDefault", false) != d.is_default)
    out.push_back({"isDefault", remote.value("isDefault", false) ? "true" : "false", d.is_default ? "true" : "false"});
  const json want = d.json_data.is_null() ? json::object() : d.json_data;
  const json have = remote.value("jsonData", json::object());
  if (have != want) out.push_back({"jsonData", text(have), text(want)});
  return out;
}

std::string version_message(const std::string& revision) {
  std::string rev = revision.empty() ? "unknown" : revision.substr(0, 64);
  return std::string(kVersionMessagePrefix) + " manifest revision " + rev;
}

}  // namespace

std::string folder_uid_for_title(const std::string& title) { return "stackd-" + sha256_hex(title).substr(0, 16); }

// Core plugins renamed with their old id kept as an alias (plugin.json
// "aliasIDs"); Grafana stores and lists the new id.
std::string canonical_datasource_type(const std::string& type) {
  if (type == "postgres") return "grafana-postgresql-datasource";
  if (type == "testdata") return "grafana-testdata-datasource";
  return type;
}

namespace {

using runtime::Action;
using runtime::ObjectKind;

std::string folder_shown(const std::string& title) { return title.empty() ? std::string("General") : title; }

runtime::Change password_change(const Desired& desired) {
  return {ObjectKind::File, "Grafana admin password of \"" + desired.user + "\"", Action::Update,
          "Grafana still has the previously applied password; stackd changes it to the manifest's", {},
          "(a secret: not shown)", "", false};
}

runtime::Change datasource_change(const SyncPlan::DatasourceWrite& d) {
  return {ObjectKind::Datasource, d.spec->name + " (uid " + d.spec->uid + ")", d.create ? Action::Create : Action::Update,
          d.create ? "missing" : "differs from the manifest", d.fields, "", "", false};
}

runtime::Change folder_change(const std::string& title) {
  return {ObjectKind::Folder, title, Action::Create, "missing", {}, "", "", false};
}

runtime::Change dashboard_change(const SyncPlan::DashboardWrite& d) {
  runtime::Change c;
  c.object = ObjectKind::Dashboard;
  c.name = d.spec->title + " (uid " + d.spec->uid + ", " + d.spec->source + ")";
  c.outside = d.drift;
  if (!d.remote) {
    c.action = Action::Create;
    c.reason = d.drift ? "deleted in Grafana outside stackd" : "missing";
    c.diff = panel_summary(std::nullopt, d.spec->model);
    return c;
  }
  const json& remote_model = (*d.remote)["dashboard"];
  if (d.content_same) {
    c.action = Action::Move;
    c.reason = "to folder \"" + folder_shown(d.spec->folder_title) + "\"";
    return c;
  }
  c.action = Action::Update;
  c.reason = d.drift ? "edited in Grafana outside stackd" : "changed in the manifest";
  if (!d.folder_same) c.reason += "; moves to folder \"" + folder_shown(d.spec->folder_title) + "\"";
  c.diff = panel_summary(remote_model, d.spec->model);
  c.full_diff = full_dashboard_diff(remote_model, d.spec->model, d.spec->source);
  return c;
}

runtime::Change delete_change(const SyncPlan::DashboardDelete& d) {
  return {ObjectKind::Dashboard, d.title + " (uid " + d.uid + ")", Action::Delete,
          "no longer in the manifest; stackd created it", {}, "", "", false};
}

}  // namespace

SyncPlan SyncPlan::for_empty_grafana(const Desired& desired) {
  SyncPlan plan;
  for (const auto& ds : desired.datasources) plan.datasources.push_back({&ds, true, {}});
  for (const auto& d : desired.dashboards) {
    if (!is_root_folder(d.folder_title) && !plan.folder_uids.count(d.folder_title)) {
      plan.folder_uids[d.folder_title] = folder_uid_for_title(d.folder_title);
      plan.folders_to_create.push_back(d.folder_title);
    }
    plan.dashboards.push_back(
        {&d, is_root_folder(d.folder_title) ? "" : folder_uid_for_title(d.folder_title), std::nullopt, 0, false, false, false});
  }
  return plan;
}

std::vector<runtime::Change> SyncPlan::to_changes(const Desired& desired) const {
  std::vector<runtime::Change> out;
  if (password == Password::ChangeFromPrevious) out.push_back(password_change(desired));
  for (const auto& d : datasources) out.push_back(datasource_change(d));
  for (const auto& title : folders_to_create) out.push_back(folder_change(title));
  for (const auto& d : dashboards) out.push_back(dashboard_change(d));
  for (const auto& d : deletes) out.push_back(delete_change(d));
  return out;
}

Reconciler::Reconciler(net::any_io_executor executor, ReconcilerOptions options)
    : executor_(executor),
      own_clock_(std::make_unique<runtime::SystemClock>(executor)),
      clock_(*own_clock_),
      guard_(clock_),
      options_(std::move(options)) {}

Reconciler::Reconciler(net::any_io_executor executor, runtime::Clock& clock, ReconcilerOptions options)
    : executor_(std::move(executor)), clock_(clock), guard_(clock_), options_(std::move(options)) {}

Reconciler::~Reconciler() = default;

Client& Reconciler::client_for(const Desired& desired, const std::string& password) {
  Credentials creds = desired.service_account_token.empty() ? Credentials{desired.user, password, ""}
                                                            : Credentials{"", "", desired.service_account_token};
  if (!client_ || client_url_ != desired.base_url) {
    client_ = std::make_unique<Client>(executor_, desired.base_url, creds);  // keep-alive across reconciles
    client_url_ = desired.base_url;
  } else {
    client_->set_credentials(creds);
  }
  return *client_;
}

std::string Reconciler::credentials_key(const Desired& desired, const std::string& password) const {
  if (!desired.service_account_token.empty())
    return LoginGuard::key(desired.base_url, "", "token:" + desired.service_account_token);
  return LoginGuard::key(desired.base_url, desired.user, "password:" + password);
}

std::string Reconciler::retry_note(const std::string& key) const {
  auto wait = std::chrono::duration_cast<std::chrono::seconds>(guard_.retry_at(key) - clock_.now()).count();
  if (wait <= 0) wait = std::chrono::duration_cast<std::chrono::seconds>(guard_.retry_after()).count();
  return "stackd will not send these credentials again for " + std::to_string((wait + 59) / 60) +
         " min, or until the manifest, the password/token files or stackd's state change";
}

std::string Reconciler::rejection_message(const Desired& desired, const GrafanaError& e, const std::string& retry,
                                          const std::string& which) const {
  const std::string at = "Grafana at " + desired.base_url;
  std::string m;
  if (!desired.service_account_token.empty()) {
    m = at + " rejects the service-account token (spec.grafana.serviceAccountTokenFile)";
  } else if (e.message_id() == "auth.unauthorized") {
    m = at + " does not accept basic auth (GF_AUTH_BASIC_ENABLED=false?) and no service-account token is configured: "
             "set spec.grafana.serviceAccountTokenFile";
  } else if (e.message_id() == "login-attempt.blocked") {
    m = at + " has blocked logins for user \"" + desired.user +
        "\" after too many failed attempts (its brute-force protection: 5 failures in 5 minutes); a lockout is "
        "likely, people signing in as this user are refused too until the failures are 5 minutes old";
  } else {
    m = at + " rejects " + which + " for user \"" + desired.user +
        "\"; a lockout is likely if they keep being tried (Grafana blocks a user after 5 failed logins in 5 "
        "minutes, humans included)";
  }
  if (!e.grafana_message().empty()) m += " (HTTP " + std::to_string(e.status()) + ": " + e.grafana_message() + ")";
  return m + "; " + retry;
}

// ---- plan: reads only ---------------------------------------------------------

net::awaitable<SyncPlan> Reconciler::plan(const Desired& desired) {
  SyncPlan plan;
  Client& client = client_for(desired, desired.password);
  try {
    auto health = co_await client.health();
    if (health.is_object()) plan.grafana_version = health.value("version", "").substr(0, 64);
  } catch (const std::exception& e) {
    plan.errors.push_back(std::string("Grafana at ") + desired.base_url + " is not ready: " + e.what());
    plan.unreachable = true;
    co_return plan;
  }
  const std::string key = credentials_key(desired, desired.password);
  auto reject = [&](const std::string& message) {
    plan.credentials_rejected = true;
    plan.credentials_message = message;
    plan.errors.push_back(message);
  };
  try {
    if (desired.service_account_token.empty() && desired.manage_password)
      co_await plan_password(desired, desired.previous_password, plan);
    if (auto refused = guard_.refused(key); refused && plan.password != SyncPlan::Password::ChangeFromPrevious) {
      // Rejected recently: do not send them again, not even once a pass.
      reject(*refused);
      co_return plan;
    }
    // Until a planned password change is made, only the previous password works.
    client_for(desired, plan.password == SyncPlan::Password::ChangeFromPrevious ? plan.previous_password
                                                                                  : desired.password);
    co_await plan_datasources(client, desired, plan);
    co_await plan_folders(client, desired, plan);
    co_await plan_dashboards(client, desired, plan);
  } catch (const CredentialsRejected& e) {
    reject(e.what());  // plan_password's, already worded and recorded
  } catch (const GrafanaError& e) {
    if (e.status() == 401) {
      std::string message = rejection_message(desired, e, retry_note(key));
      guard_.rejected(key, message);
      reject(message);
    } else {
      plan.errors.push_back(e.what());
    }
  } catch (const std::exception& e) {
    // Only whole-Grafana failures get here (listing calls, transport).
    plan.errors.push_back(e.what());
  }
  co_return plan;
}

net::awaitable<void> Reconciler::plan_password(const Desired& desired, std::optional<std::string> previous,
                                               SyncPlan& plan) {
  Client& client = client_for(desired, desired.password);
  const std::string want_key = credentials_key(desired, desired.password);
  const bool have_previous = previous && !previous->empty() && *previous != desired.password;
  const std::string which = have_previous ? "the manifest's admin password (and the previously applied one)"
                                          : "the admin password from the manifest (no previously applied one is known)";
  if (!guard_.refused(want_key)) {
    try {
      co_await client.current_user();
      guard_.accepted(want_key);
      plan.password = SyncPlan::Password::Current;
      co_return;
    } catch (const GrafanaError& e) {
      if (e.status() != 401) throw;
      std::string message = rejection_message(desired, e, retry_note(""), which);
      guard_.rejected(want_key, message);
      // Blocked or basic auth off: another password cannot help.
      if (!have_previous || e.message_id() == "login-attempt.blocked" || e.message_id() == "auth.unauthorized")
        throw CredentialsRejected(message);
    }
  }
  if (!have_previous) throw CredentialsRejected(*guard_.refused(want_key));
  const std::string previous_key = credentials_key(desired, *previous);
  if (auto refused = guard_.refused(previous_key)) throw CredentialsRejected(*refused);
  client.set_credentials({desired.user, *previous, ""});
  try {
    co_await client.current_user();
  } catch (const GrafanaError& e) {
    client.set_credentials({desired.user, desired.password, ""});
    if (e.status() != 401) throw;
    std::string message = rejection_message(desired, e, retry_note(""),
                                            "both the manifest's admin password and the previously applied one");
    guard_.rejected(previous_key, message);
    guard_.rejected(want_key, message);
    throw CredentialsRejected(message);
  }
  plan.password = SyncPlan::Password::ChangeFromPrevious;
  plan.previous_password = *previous;
}

net::awaitable<void> Reconciler::plan_datasources(Client& client, const Desired& desired, SyncPlan& plan) {
  if (desired.datasources.empty()) co_return;
  json remote = co_await client.datasources();
  for (const auto& ds : desired.datasources) {
    auto it = std::find_if(remote.begin(), remote.end(), [&](const json& r) { return r.value("uid", "") == ds.uid; });
    if (it == remote.end()) {
      plan.datasources.push_back({&ds, true, {}});
      continue;
    }
    auto answered = answered_type_.find(ds.uid);
    const std::string answered_type =
        answered != answered_type_.end() && answered->second.first == ds.type ? answered->second.second : "";
    auto fields = datasource_differences(ds, *it, answered_type);
    if (fields.empty()) {
      ++plan.datasources_unchanged;
      continue;
    }
    if (it->value("readOnly", false)) {
      plan.errors.push_back("datasource \"" + ds.name + "\" (uid " + ds.uid +
                            "): provisioned read-only in Grafana and differs from the manifest; stackd cannot change it");
      continue;
    }
    plan.datasources.push_back({&ds, false, std::move(fields)});
  }
  // A create that Grafana would refuse as a duplicate name is said now.
  for (const auto& w : plan.datasources) {
    if (!w.create) continue;
    auto same_name = std::find_if(remote.begin(), remote.end(),
                                  [&](const json& r) { return r.value("name", "") == w.spec->name; });
    if (same_name != remote.end())
      plan.errors.push_back("datasource \"" + w.spec->name + "\" (uid " + w.spec->uid +
                            "): Grafana already has a datasource with this name (uid " + same_name->value("uid", "?") +
                            ") that stackd did not create; rename or remove one of them");
  }
  std::erase_if(plan.datasources, [&](const SyncPlan::DatasourceWrite& w) {
    return w.create && std::any_of(remote.begin(), remote.end(),
                                   [&](const json& r) { return r.value("name", "") == w.spec->name; });
  });
}

net::awaitable<void> Reconciler::plan_folders(Client& client, const Desired& desired, SyncPlan& plan) {
  std::set<std::string> titles;
  for (const auto& d : desired.dashboards)
    if (!is_root_folder(d.folder_title)) titles.insert(d.folder_title);
  std::optional<json> listed;  // the root's folders, read when first needed
  for (const auto& title : titles) {
    std::string want = folder_uid_for_title(title);
    // Prefer the folder stackd created (stable uid), looked up by uid: with
    // nested folders (Grafana 11+) GET /api/folders lists only the root's
    // children, so a folder a user moved under another one is not in it.
    try {
      if (co_await client.get_folder(want)) {
        plan.folder_uids[title] = want;
        continue;
      }
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      plan.errors.push_back("folder \"" + title + "\": " + e.what());
      continue;
    }
    // Else adopt a root folder with the exact title, which is what users mean
    // by "put it in folder X".
    if (!listed) listed = co_await client.folders();
    auto by_title = std::find_if(listed->begin(), listed->end(), [&](const json& f) { return f.value("title", "") == title; });
    if (by_title != listed->end()) {
      plan.folder_uids[title] = by_title->value("uid", "");
      continue;
    }
    plan.folder_uids[title] = want;
    plan.folders_to_create.push_back(title);
  }
}

net::awaitable<void> Reconciler::plan_dashboards(Client& client, const Desired& desired, SyncPlan& plan) {
  // Every desired dashboard and its folder; duplicates were refused when the
  // manifest was loaded, but a Desired built by hand may still have them.
  struct Read {
    const DashboardSpec* spec;
    std::string folder_uid;
    std::optional<json> remote;
    std::string error;
    unsigned error_status = 0;
    std::string error_message_id;
  };
  std::vector<Read> reads;
  std::set<std::string> keep;  // uids that must not be pruned, even when broken
  std::map<std::string, std::string> source_of_uid;
  for (const auto& spec : desired.dashboards) {
    keep.insert(spec.uid);
    if (auto [it, fresh] = source_of_uid.emplace(spec.uid, spec.source); !fresh) {
      plan.errors.push_back("dashboard " + spec.source + ": uid \"" + spec.uid + "\" is also used by " + it->second);
      continue;
    }
    Read r{&spec, "", std::nullopt, "", 0, ""};
    if (!is_root_folder(spec.folder_title)) {
      auto f = plan.folder_uids.find(spec.folder_title);
      if (f == plan.folder_uids.end()) {
        plan.errors.push_back("dashboard " + spec.source + ": folder \"" + spec.folder_title + "\" is not available");
        continue;
      }
      r.folder_uid = f->second;
    }
    reads.push_back(std::move(r));
  }

  // Read what Grafana holds, a few at a time.
  {
    using namespace boost::asio::experimental::awaitable_operators;
    std::size_t next = 0;
    auto worker = [&client, &reads, &next]() -> net::awaitable<void> {
      while (next < reads.size()) {
        Read& r = reads[next++];
        try {
          r.remote = co_await client.get_dashboard(r.spec->uid);
        } catch (const GrafanaError& e) {
          r.error = e.what();
          r.error_status = e.status();
          r.error_message_id = e.message_id();
        } catch (const std::exception& e) {
          r.error = e.what();
        }
      }
    };
    int n = std::clamp(options_.read_concurrency, 1, 8);
    if (n >= 4) co_await (worker() && worker() && worker() && worker());
    else if (n >= 2) co_await (worker() && worker());
    else co_await worker();
  }

  for (auto& r : reads) {
    const auto& spec = *r.spec;
    const std::string where = "dashboard " + spec.uid + " (" + spec.source + ")";
    if (!r.error.empty()) {
      if (r.error_status == 401) throw GrafanaError(r.error, 401, "", "", r.error_message_id);
      if (r.error_status == 406) {
        // Grafana 12 schema-v2 dashboard: the legacy API cannot read or
        // safely write it. Say so once; leave it alone.
        ++plan.left_alone;
        if (reported_v2_.insert(spec.uid).second)
          plan.warnings.push_back(where + ": Grafana holds it as a schema-v2 dashboard, which its /api cannot "
                                  "read (HTTP 406); stackd leaves it alone. Delete it in Grafana or give the "
                                  "manifest's dashboard another uid to let stackd manage it");
        continue;
      }
      plan.errors.push_back(where + ": " + r.error);
      continue;
    }
    SyncPlan::DashboardWrite w{&spec, r.folder_uid, r.remote, 0, false, false, false};
    if (!r.remote) {
      w.drift = seen_.count(spec.uid) > 0;  // stackd saw it before: deleted behind its back
      plan.dashboards.push_back(std::move(w));
      continue;
    }
    const json& dash = (*r.remote)["dashboard"];
    const json& meta = (*r.remote)["meta"];
    w.remote_version = meta.value("version", dash.value("version", 0L));
    if (meta.value("provisioned", false)) {
      plan.errors.push_back(where + ": provisioned read-only in Grafana; stackd cannot update it");
      continue;
    }
    auto pushed = pushed_.find(spec.uid);
    // Same content, or exactly what stackd pushed last (guards against a
    // Grafana that normalises stored JSON, which would otherwise cause a push
    // on every resync; grafana-operator #583).
    w.content_same = dashboard_hash(dash) == spec.hash ||
                     (pushed != pushed_.end() && pushed->second.hash == spec.hash &&
                      pushed->second.version == w.remote_version);
    w.folder_same = meta.value("folderUid", "") == r.folder_uid;
    if (w.content_same && w.folder_same) {
      ++plan.unchanged;
      seen_.insert(spec.uid);
      continue;
    }
    if (!w.content_same) {
      if (pushed != pushed_.end()) w.drift = pushed->second.hash == spec.hash;
      else w.drift = !(co_await written_by_stackd(client, spec.uid, 1));  // fresh process: ask the history
    }
    plan.dashboards.push_back(std::move(w));
  }

  if (desired.prune) co_await plan_deletes(client, keep, plan);
}

net::awaitable<bool> Reconciler::written_by_stackd(Client& client, const std::string& uid, int limit) {
  json versions = co_await client.dashboard_versions(uid, limit);
  for (const auto& v : versions) {
    if (!v.is_object()) continue;
    if (v.value("message", "").rfind(kVersionMessagePrefix, 0) == 0) co_return true;
    // The list says "Initial save" for a first version whatever was saved
    // (Grafana's GetDashboardVersions); the single-version GET has the message.
    // A dashboard stackd created and never changed has only that version.
    if (v.value("parentVersion", -1L) == 0 && v.contains("version") && v["version"].is_number_integer()) {
      json one = co_await client.dashboard_version(uid, v["version"].get<long>());
      if (one.is_object() && one.value("message", "").rfind(kVersionMessagePrefix, 0) == 0) co_return true;
    }
  }
  co_return false;
}

net::awaitable<void> Reconciler::plan_deletes(Client& client, const std::set<std::string>& keep, SyncPlan& plan) {
  SearchQuery q;
  q.type = "dash-db";
  q.tags = {kManagedTag};
  json hits = co_await client.search(q);
  for (const auto& hit : hits) {
    std::string uid = hit.value("uid", "");
    if (uid.empty() || keep.count(uid)) continue;
    const std::string where = "dashboard " + uid + " (\"" + hit.value("title", "") + "\")";
    try {
      // The tag alone is not proof: a UI copy keeps it. Grafana keeps the last
      // 20 versions by default; stackd's message in any of them is.
      if (!(co_await written_by_stackd(client, uid, 100))) {
        spdlog::debug("grafana: {} carries tag {} but was not written by stackd; left alone", where, kManagedTag);
        continue;
      }
      plan.deletes.push_back({uid, hit.value("title", "")});
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      plan.errors.push_back(where + ": " + e.what());
    }
  }
}

// ---- execute: writes what the plan says -----------------------------------------

net::awaitable<SyncReport> Reconciler::execute(const Desired& desired, const SyncPlan& plan) {
  SyncReport report;
  report.grafana_version = plan.grafana_version;
  report.unchanged = plan.unchanged;
  report.datasources_unchanged = plan.datasources_unchanged;
  report.left_alone = plan.left_alone;
  report.warnings = plan.warnings;
  report.errors = plan.errors;
  report.credentials_rejected = plan.credentials_rejected;
  report.credentials_message = plan.credentials_message;
  if (plan.credentials_rejected) co_return report;
  Client& client = client_for(desired, desired.password);
  const int requests_before = client.requests();
  const std::string key = credentials_key(desired, desired.password);
  try {
    if (plan.password == SyncPlan::Password::ChangeFromPrevious) {
      client.set_credentials({desired.user, plan.previous_password, ""});
      co_await client.change_own_password(plan.previous_password, desired.password);
      client.set_credentials({desired.user, desired.password, ""});
      guard_.accepted(key);
      spdlog::info("grafana: changed the admin password of user \"{}\" to the one in the manifest", desired.user);
      report.applied.push_back(password_change(desired));
    }

    for (const auto& w : plan.datasources) {
      const std::string label = "datasource \"" + w.spec->name + "\" (uid " + w.spec->uid + ")";
      try {
        json body = datasource_body(*w.spec);
        json res;
        if (w.create) res = co_await client.create_datasource(body);
        else res = co_await client.update_datasource(w.spec->uid, body);
        if (res.contains("datasource") && res["datasource"].is_object())
          answered_type_[w.spec->uid] = {w.spec->type, res["datasource"].value("type", w.spec->type)};
        ++(w.create ? report.datasources_created : report.datasources_updated);
        spdlog::info("grafana: {} {}", w.create ? "created" : "updated", label);
        report.applied.push_back(datasource_change(w));
      } catch (const GrafanaError& e) {
        if (e.status() == 401) throw;
        report.errors.push_back(label + ": " +
                                (e.status() == 409 ? std::string("Grafana refused it as a duplicate (") + e.what() + ")"
                                                   : std::string(e.what())));
      }
    }

    std::set<std::string> folders_failed;
    for (const auto& title : plan.folders_to_create) {
      try {
        auto created = co_await client.create_folder(plan.folder_uids.at(title), title);
        ++report.folders_created;
        spdlog::info("grafana: created folder \"{}\" (uid {})", title, created.value("uid", plan.folder_uids.at(title)));
        report.applied.push_back(folder_change(title));
      } catch (const GrafanaError& e) {
        if (e.status() == 401) throw;
        report.errors.push_back("folder \"" + title + "\": " + e.what());
        folders_failed.insert(title);
      }
    }

    for (const auto& w : plan.dashboards) {
      const auto& spec = *w.spec;
      const std::string where = "dashboard " + spec.uid + " (" + spec.source + ")";
      if (folders_failed.count(spec.folder_title)) {
        report.errors.push_back(where + ": folder \"" + spec.folder_title + "\" is not available");
        continue;
      }
      try {
        // Never overwrite=true: on Grafana <= 11.2 a save with overwrite whose
        // title equals another dashboard's in the folder takes that one over.
        // With the version stackd just read and overwrite=false, that answers
        // 412 name-exists instead, and a concurrent edit 412 version-mismatch.
        json body = {{"dashboard", spec.model},
                     {"folderUid", w.folder_uid},
                     {"message", version_message(desired.revision)},
                     {"overwrite", false}};
        if (w.remote) body["dashboard"]["version"] = w.remote_version;
        json res;
        try {
          res = co_await client.save_dashboard(body);
        } catch (const GrafanaError& e) {
          if (e.status_word() == "name-exists") {
            report.errors.push_back(where + ": Grafana already has another dashboard titled \"" + spec.title +
                                    "\" in this folder (titles are unique per folder before Grafana 11.3); stackd "
                                    "does not overwrite it: give one of them another title");
            continue;
          }
          if (e.status_word() == "name-match") {
            report.errors.push_back(where + ": its title \"" + spec.title +
                                    "\" is also a folder's (Grafana before 11.3 refuses that): give it another title");
            continue;
          }
          if (e.status_word() == "version-mismatch") {
            report.errors.push_back(where + ": changed in Grafana while stackd was saving it; it is looked at "
                                    "again at the next pass");
            continue;
          }
          throw;
        }
        std::string got_uid = res.value("uid", spec.uid);
        if (got_uid != spec.uid) {
          report.errors.push_back(where + ": Grafana saved it over another dashboard with the same title (uid " +
                                  got_uid + "); give one of them another title");
          continue;
        }
        pushed_[spec.uid] = Pushed{spec.hash, res.value("version", 0L)};
        seen_.insert(spec.uid);
        report.applied.push_back(dashboard_change(w));
        if (w.drift) {
          ++report.drift_repaired;
          spdlog::info("grafana: repaired drift of {} ({})", where, w.remote ? "changed in Grafana" : "deleted in Grafana");
        } else if (!w.remote) {
          ++report.created;
          spdlog::info("grafana: created {}", where);
        } else if (!w.content_same) {
          ++report.updated;
          spdlog::info("grafana: updated {}", where);
        }
        if (w.remote && !w.folder_same) {
          ++report.moved;
          spdlog::info("grafana: moved {} to folder \"{}\"", where, spec.folder_title);
        }
      } catch (const GrafanaError& e) {
        if (e.status() == 401) throw;
        report.errors.push_back(where + ": " + e.what());
      } catch (const http::TransportError& e) {
        report.errors.push_back(where + ": " + e.what());
      }
    }

    for (const auto& d : plan.deletes) {
      const std::string where = "dashboard " + d.uid + " (\"" + d.title + "\")";
      try {
        if (co_await client.delete_dashboard(d.uid)) {
          ++report.deleted;
          spdlog::info("grafana: deleted {}: no longer in the manifest", where);
          report.applied.push_back(delete_change(d));
        }
        pushed_.erase(d.uid);
        seen_.erase(d.uid);
      } catch (const GrafanaError& e) {
        if (e.status() == 401) throw;
        report.errors.push_back(where + ": " + e.what());
      }
    }
  } catch (const GrafanaError& e) {
    if (e.status() == 401) {
      std::string message = rejection_message(desired, e, retry_note(key));
      guard_.rejected(key, message);
      report.credentials_rejected = true;
      report.credentials_message = message;
      report.errors.push_back(message);
    } else {
      report.errors.push_back(e.what());
    }
  } catch (const std::exception& e) {
    report.errors.push_back(e.what());
  }
  report.requests = client.requests() - requests_before;
  co_return report;
}

net::awaitable<SyncReport> Reconciler::reconcile(const Desired& desired) {
  Client& client = client_for(desired, desired.password);
  const int requests_before = client.requests();
  auto p = co_await plan(desired);
  auto report = co_await execute(desired, p);
  report.requests = client.requests() - requests_before;
  co_return report;
}

net::awaitable<bool> Reconciler::ensure_admin_password(const Desired& desired, std::optional<std::string> previous) {
  if (!desired.service_account_token.empty()) co_return false;  // tokens: no admin password to manage
  SyncPlan p;
  co_await plan_password(desired, std::move(previous), p);
  if (p.password != SyncPlan::Password::ChangeFromPrevious) co_return false;
  Client& client = client_for(desired, p.previous_password);
  co_await client.change_own_password(p.previous_password, desired.password);
  client.set_credentials({desired.user, desired.password, ""});
  guard_.accepted(credentials_key(desired, desired.password));
  spdlog::info("grafana: changed the admin password of user \"{}\" to the one in the manifest", desired.user);
  co_return true;
}

}  // namespace stackd::grafana
