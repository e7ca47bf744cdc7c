#include "reconcilers/grafana/grafana_reconciler.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sys/stat.h>
#include <fcntl.h>
#include <cstring>
#include <unistd.h>

#include "clients/grafana/grafana_client.hpp"
#include "common/sha256.hpp"
#include "reconcilers/grafana/canonical_dashboard.hpp"
#include "reconcilers/grafana/datasource_placeholders.hpp"

namespace stackd::grafana {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_root_folder(const std::string& title) { return title.empty() || lower(title) == "general"; }

json datasource_body(const DatasourceSpec& d) {
  return {{"uid", d.uid},           {"name", d.name},         {"type", d.type},
          {"url", d.url},           {"access", d.access},     {"isDefault", d.is_default},
          {"jsonData", d.json_data}, {"basicAuth", false}};
}

// `answered`: the type Grafana stored the last time stackd wrote this desired
// type, for aliases stackd's table does not know.
bool datasource_matches(const DatasourceSpec& d, const json& remote, const std::string& answered) {
  const std::string type = remote.value("type", "");
  const bool same_type = type == d.type || type == canonical_datasource_type(d.type) ||
                         (!answered.empty() && type == answered);
  return remote.value("name", "") == d.name && same_type &&
         remote.value("url", "") == d.url && remote.value("access", "") == d.access &&
         remote.value("isDefault", false) == d.is_default &&
         remote.value("jsonData", json::object()) == (d.json_data.is_null() ? json::object() : d.json_data);
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

// One desired dashboard on its way through a reconcile.
struct Reconciler::Plan {
  const DashboardSpec* spec = nullptr;
  std::string uid, folder_uid, hash;
  json model;
  std::optional<json> remote;  // GET answer; nullopt = absent
  std::string error;
  unsigned error_status = 0;  // HTTP status when the read failed with one
  std::string error_message_id;
};

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

net::awaitable<SyncReport> Reconciler::reconcile(const Desired& desired) {
  SyncReport report;
  Client& client = client_for(desired, desired.password);
  const int requests_before = client.requests();
  try {
    auto health = co_await client.health();
    if (health.is_object()) report.grafana_version = health.value("version", "").substr(0, 64);
  } catch (const std::exception& e) {
    report.errors.push_back(std::string("Grafana at ") + desired.base_url + " is not ready: " + e.what());
    report.requests = client.requests() - requests_before;
    co_return report;
  }
  const std::string key = credentials_key(desired, desired.password);
  auto reject = [&](const std::string& message) {
    report.credentials_rejected = true;
    report.credentials_message = message;
    report.errors.push_back(message);
  };
  try {
    if (desired.service_account_token.empty() && !desired.applied_password_file.empty())
      co_await ensure_admin_password(desired, desired.applied_password_file);
    if (auto refused = guard_.refused(key)) {
      // Rejected recently: do not send them again, not even once a pass.
      reject(*refused);
      report.requests = client.requests() - requests_before;
      co_return report;
    }
    client_for(desired, desired.password);
    co_await sync_datasources(client, desired, report);
    auto folders = co_await sync_folders(client, desired, report);
    co_await sync_dashboards(client, desired, folders, report);
  } catch (const CredentialsRejected& e) {
    reject(e.what());  // ensure_admin_password's, already worded and recorded
  } catch (const GrafanaError& e) {
    if (e.status() == 401) {
      {
        std::string message = rejection_message(desired, e, retry_note(key));
        guard_.rejected(key, message);
        reject(message);
      }
    } else {
      report.errors.push_back(e.what());
    }
  } catch (const std::exception& e) {
    // Only whole-Grafana failures get here (listing calls, transport).
    report.errors.push_back(e.what());
  }
  report.requests = client.requests() - requests_before;
  co_return report;
}

net::awaitable<void> Reconciler::sync_datasources(Client& client, const Desired& desired, SyncReport& report) {
  if (desired.datasources.empty()) co_return;
  json remote = co_await client.datasources();
  for (const auto& ds : desired.datasources) {
    const std::string label = "datasource \"" + ds.name + "\" (uid " + ds.uid + ")";
    try {
      auto it = std::find_if(remote.begin(), remote.end(), [&](const json& r) { return r.value("uid", "") == ds.uid; });
      json body = datasource_body(ds);
      auto answered = answered_type_.find(ds.uid);
      const std::string answered_type =
          answered != answered_type_.end() && answered->second.first == ds.type ? answered->second.second : "";
      if (it != remote.end()) {
        if (datasource_matches(ds, *it, answered_type)) {
          ++report.datasources_unchanged;
          continue;
        }
        if (it->value("readOnly", false)) {
          report.errors.push_back(label + ": provisioned read-only in Grafana and differs from the manifest; "
                                  "stackd cannot change it");
          continue;
        }
        auto res = co_await client.update_datasource(ds.uid, body);
        if (res.contains("datasource") && res["datasource"].is_object())
          answered_type_[ds.uid] = {ds.type, res["datasource"].value("type", ds.type)};
        ++report.datasources_updated;
        spdlog::info("grafana: updated {}", label);
        continue;
      }
      try {
        auto res = co_await client.create_datasource(body);
        if (res.contains("datasource") && res["datasource"].is_object())
          answered_type_[ds.uid] = {ds.type, res["datasource"].value("type", ds.type)};
        ++report.datasources_created;
        spdlog::info("grafana: created {}", label);
      } catch (const GrafanaError& e) {
        if (e.status() != 409) throw;
        auto same_name = std::find_if(remote.begin(), remote.end(),
                                      [&](const json& r) { return r.value("name", "") == ds.name; });
        std::string detail = same_name != remote.end()
                                 ? "Grafana already has a datasource with this name (uid " +
                                       same_name->value("uid", "?") +
                                       ") that stackd did not create; rename or remove one of them"
                                 : "Grafana refused it as a duplicate";
        report.errors.push_back(label + ": " + detail + " (" + e.what() + ")");
      }
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;  // credentials: nothing else will work either
      report.errors.push_back(label + ": " + e.what());
    }
  }
}

net::awaitable<std::map<std::string, std::string>> Reconciler::sync_folders(Client& client, const Desired& desired,
                                                                            SyncReport& report) {
  std::map<std::string, std::string> uids;  // title -> uid ("" = root)
  std::set<std::string> titles;
  for (const auto& d : desired.dashboards)
    if (!is_root_folder(d.folder_title)) titles.insert(d.folder_title);
  if (titles.empty()) co_return uids;
  std::optional<json> listed;  // the root's folders, read when first needed
  for (const auto& title : titles) {
    std::string want = folder_uid_for_title(title);
    // Prefer the folder stackd created (stable uid), looked up by uid: with
    // nested folders (Grafana 11+) GET /api/folders lists only the root's
    // children, so a folder a user moved under another one is not in it.
    try {
      if (co_await client.get_folder(want)) {
        uids[title] = want;
        continue;
      }
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      report.errors.push_back("folder \"" + title + "\": " + e.what());
      continue;
    }
    // Else adopt a root folder with the exact title, which is what users mean
    // by "put it in folder X".
    if (!listed) listed = co_await client.folders();
    const json& remote = *listed;
    auto by_title = std::find_if(remote.begin(), remote.end(), [&](const json& f) { return f.value("title", "") == title; });
    if (by_title != remote.end()) {
      uids[title] = by_title->value("uid", "");
      continue;
    }
    try {
      auto created = co_await client.create_folder(want, title);
      uids[title] = created.value("uid", want);
      ++report.folders_created;
      spdlog::info("grafana: created folder \"{}\" (uid {})", title, uids[title]);
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      report.errors.push_back("folder \"" + title + "\": " + e.what());
    }
  }
  co_return uids;
}

net::awaitable<void> Reconciler::fetch_worker(Client& client, std::vector<Plan>& plans, std::size_t& next) {
  while (next < plans.size()) {
    Plan& p = plans[next++];
    if (!p.error.empty()) continue;
    try {
      p.remote = co_await client.get_dashboard(p.uid);
    } catch (const GrafanaError& e) {
      p.error = e.what();
      p.error_status = e.status();
      p.error_message_id = e.message_id();
    } catch (const std::exception& e) {
      p.error = e.what();
    }
  }
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

net::awaitable<void> Reconciler::sync_dashboards(Client& client, const Desired& desired,
                                                 const std::map<std::string, std::string>& folder_uids,
                                                 SyncReport& report) {
  std::vector<DatasourceRef> refs;
  for (const auto& ds : desired.datasources) refs.push_back({ds.uid, ds.type});

  // 1. Render every desired dashboard: placeholders, ownership tag, no id.
  std::vector<Plan> plans;
  std::set<std::string> keep;  // uids that must not be pruned, even when broken
  std::map<std::string, std::string> source_of_uid;
  for (const auto& spec : desired.dashboards) {
    Plan p;
    p.spec = &spec;
    const std::string where = "dashboard " + spec.source;
    if (!spec.model.is_object() || !spec.model.contains("uid") || !spec.model["uid"].is_string() ||
        spec.model["uid"].get<std::string>().empty()) {
      report.errors.push_back(where + ": has no \"uid\"; stackd needs a stable uid to track it");
      continue;
    }
    p.uid = spec.model["uid"].get<std::string>();
    keep.insert(p.uid);
    if (auto [it, fresh] = source_of_uid.emplace(p.uid, spec.source); !fresh) {
      report.errors.push_back(where + ": uid \"" + p.uid + "\" is also used by " + it->second);
      continue;
    }
    if (!is_root_folder(spec.folder_title)) {
      auto f = folder_uids.find(spec.folder_title);
      if (f == folder_uids.end()) {
        report.errors.push_back(where + ": folder \"" + spec.folder_title + "\" is not available");
        continue;
      }
      p.folder_uid = f->second;
    }
    try {
      p.model = resolve_datasource_inputs(spec.model, desired.prometheus_datasource_uid, refs);
    } catch (const std::exception& e) {
      report.errors.push_back(where + ": " + e.what());
      continue;
    }
    p.model.erase("id");  // a stale id makes Grafana answer 404 (grafana-operator #1108)
    p.model.erase("version");
    json& tags = p.model["tags"];
    if (!tags.is_array()) tags = json::array();
    if (std::find(tags.begin(), tags.end(), json(options_.managed_tag)) == tags.end())
      tags.push_back(options_.managed_tag);
    p.hash = dashboard_hash(p.model);
    plans.push_back(std::move(p));
  }

  // 2. Read what Grafana holds, a few at a time.
  {
    using namespace boost::asio::experimental::awaitable_operators;
    std::size_t next = 0;
    int n = std::clamp(options_.read_concurrency, 1, 8);
    if (n >= 4) co_await (fetch_worker(client, plans, next) && fetch_worker(client, plans, next) &&
                          fetch_worker(client, plans, next) && fetch_worker(client, plans, next));
    else if (n >= 2) co_await (fetch_worker(client, plans, next) && fetch_worker(client, plans, next));
    else co_await fetch_worker(client, plans, next);
  }

  // 3. Write only what differs, one at a time.
  for (auto& p : plans) {
    const std::string where = "dashboard " + p.uid + " (" + p.spec->source + ")";
    if (!p.error.empty()) {
      if (p.error_status == 401) throw GrafanaError(p.error, 401, "", "", p.error_message_id);
      if (p.error_status == 406) {
        // Grafana 12 schema-v2 dashboard: the legacy API cannot read or
        // safely write it. Say so once; leave it alone.
        ++report.left_alone;
        if (reported_v2_.insert(p.uid).second)
          report.warnings.push_back(where + ": Grafana holds it as a schema-v2 dashboard, which its /api cannot "
                                    "read (HTTP 406); stackd leaves it alone. Delete it in Grafana or give the "
                                    "manifest's dashboard another uid to let stackd manage it");
        continue;
      }
      report.errors.push_back(where + ": " + p.error);
      continue;
    }
    try {
      bool create = !p.remote.has_value();
      bool content_same = false, folder_same = false, drift = false;
      long remote_version = 0;
      if (!create) {
        const json& dash = (*p.remote)["dashboard"];
        const json& meta = (*p.remote)["meta"];
        remote_version = meta.value("version", dash.value("version", 0L));
        if (meta.value("provisioned", false)) {
          report.errors.push_back(where + ": provisioned read-only in Grafana; stackd cannot update it");
          continue;
        }
        auto pushed = pushed_.find(p.uid);
        // Same content, or exactly what stackd pushed last (guards against a
        // Grafana that normalises stored JSON, which would otherwise cause a
        // push on every resync; grafana-operator #583).
        content_same = dashboard_hash(dash) == p.hash ||
                       (pushed != pushed_.end() && pushed->second.hash == p.hash &&
                        pushed->second.version == remote_version);
        folder_same = meta.value("folderUid", "") == p.folder_uid;
        if (content_same && folder_same) {
          ++report.unchanged;
          seen_.insert(p.uid);
          continue;
        }
        if (!content_same) {
          if (pushed != pushed_.end()) drift = pushed->second.hash == p.hash;
          else drift = !(co_await written_by_stackd(client, p.uid, 1));  // fresh process: ask the history
        }
      } else {
        drift = seen_.count(p.uid) > 0;  // stackd saw it before: deleted behind its back
      }

      // Never overwrite=true: on Grafana <= 11.2 a save with overwrite whose
      // title equals another dashboard's in the folder takes that one over.
      // With the version stackd just read and overwrite=false, that answers
      // 412 name-exists instead, and a concurrent edit 412 version-mismatch.
      json body = {{"dashboard", p.model},
                   {"folderUid", p.folder_uid},
                   {"message", version_message(desired.revision)},
                   {"overwrite", false}};
      if (!create) body["dashboard"]["version"] = remote_version;
      json res;
      try {
        res = co_await client.save_dashboard(body);
      } catch (const GrafanaError& e) {
        if (e.status_word() == "name-exists") {
          report.errors.push_back(where + ": Grafana already has another dashboard titled \"" +
                                  p.model.value("title", "") +
                                  "\" in this folder (titles are unique per folder before Grafana 11.3); stackd "
                                  "does not overwrite it: give one of them another title");
          continue;
        }
        if (e.status_word() == "name-match") {
          report.errors.push_back(where + ": its title \"" + p.model.value("title", "") +
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
      std::string got_uid = res.value("uid", p.uid);
      if (got_uid != p.uid) {
        report.errors.push_back(where + ": Grafana saved it over another dashboard with the same title (uid " +
                                got_uid + "); give one of them another title");
        continue;
      }
      pushed_[p.uid] = Pushed{p.hash, res.value("version", 0L)};
      seen_.insert(p.uid);
      if (drift) {
        ++report.drift_repaired;
        spdlog::info("grafana: repaired drift of {} ({})", where, create ? "deleted in Grafana" : "changed in Grafana");
      } else if (create) {
        ++report.created;
        spdlog::info("grafana: created {}", where);
      } else if (!content_same) {
        ++report.updated;
        spdlog::info("grafana: updated {}", where);
      }
      if (!create && !folder_same) {
        ++report.moved;
        spdlog::info("grafana: moved {} to folder \"{}\"", where, p.spec->folder_title);
      }
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      report.errors.push_back(where + ": " + e.what());
    } catch (const http::TransportError& e) {
      report.errors.push_back(where + ": " + e.what());
    }
  }

  if (desired.prune) co_await prune_dashboards(client, keep, report);
}

net::awaitable<void> Reconciler::prune_dashboards(Client& client, const std::set<std::string>& keep,
                                                  SyncReport& report) {
  SearchQuery q;
  q.type = "dash-db";
  q.tags = {options_.managed_tag};
  json hits = co_await client.search(q);
  for (const auto& hit : hits) {
    std::string uid = hit.value("uid", "");
    if (uid.empty() || keep.count(uid)) continue;
    const std::string where = "dashboard " + uid + " (\"" + hit.value("title", "") + "\")";
    try {
      // The tag alone is not proof: a UI copy keeps it. Grafana keeps the last
      // 20 versions by default; stackd's message in any of them is.
      if (!(co_await written_by_stackd(client, uid, 100))) {
        spdlog::info("grafana: {} carries tag {} but was not written by stackd; left alone", where,
                     options_.managed_tag);
        continue;
      }
      if (co_await client.delete_dashboard(uid)) {
        ++report.deleted;
        spdlog::info("grafana: deleted {}: no longer in the manifest", where);
      }
      pushed_.erase(uid);
      seen_.erase(uid);
    } catch (const GrafanaError& e) {
      if (e.status() == 401) throw;
      report.errors.push_back(where + ": " + e.what());
    }
  }
}

net::awaitable<bool> Reconciler::ensure_admin_password(const Desired& desired, std::optional<std::string> previous) {
  if (!desired.service_account_token.empty()) co_return false;  // tokens: no admin password to manage
  Client& client = client_for(desired, desired.password);
  const std::string want_key = credentials_key(desired, desired.password);
  const bool have_previous = previous && !previous->empty() && *previous != desired.password;
  const std::string which = have_previous ? "the manifest's admin password (and the previously applied one)"
                                          : "the admin password from the manifest (no previously applied one is known)";
  if (!guard_.refused(want_key)) {
    try {
      co_await client.current_user();
      guard_.accepted(want_key);
      co_return false;
    } catch (const GrafanaError& e) {
      if (e.status() != 401) throw;
      std::string message = rejection_message(desired, e, retry_note(""), which);
      guard_.rejected(want_key, message);
      // Blocked or basic auth off: another password cannot help, and a
      // blocked try only prolongs nothing but proves nothing either.
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
  co_await client.change_own_password(*previous, desired.password);
  client.set_credentials({desired.user, desired.password, ""});
  guard_.accepted(want_key);
  spdlog::info("grafana: changed the admin password of user \"{}\" to the one in the manifest", desired.user);
  co_return true;
}

namespace {

std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s(4096, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

void write_secret_file(const std::filesystem::path& path, const std::string& value) {
  std::filesystem::create_directories(path.parent_path());
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  std::filesystem::rename(tmp, path);
}

}  // namespace

net::awaitable<bool> Reconciler::ensure_admin_password(const Desired& desired,
                                                       const std::filesystem::path& applied_file) {
  auto previous = read_small_file(applied_file);
  bool changed = co_await ensure_admin_password(desired, previous);
  if (!previous || *previous != desired.password) write_secret_file(applied_file, desired.password);
  co_return changed;
}

}  // namespace stackd::grafana
