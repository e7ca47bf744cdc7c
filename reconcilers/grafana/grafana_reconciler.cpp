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

bool datasource_matches(const DatasourceSpec& d, const json& remote) {
  return remote.value("name", "") == d.name && remote.value("type", "") == d.type &&
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

// One desired dashboard on its way through a reconcile.
struct Reconciler::Plan {
  const DashboardSpec* spec = nullptr;
  std::string uid, folder_uid, hash;
  json model;
  std::optional<json> remote;  // GET answer; nullopt = absent
  std::string error;
  unsigned error_status = 0;  // HTTP status when the read failed with one
};

Reconciler::Reconciler(net::any_io_executor executor, ReconcilerOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

Reconciler::~Reconciler() = default;

Client& Reconciler::client_for(const Desired& desired, const std::string& password) {
  Credentials creds{desired.user, password, ""};
  if (!client_ || client_url_ != desired.base_url) {
    client_ = std::make_unique<Client>(executor_, desired.base_url, creds);  // keep-alive across reconciles
    client_url_ = desired.base_url;
  } else {
    client_->set_credentials(creds);
  }
  return *client_;
}

net::awaitable<SyncReport> Reconciler::reconcile(const Desired& desired) {
  SyncReport report;
  Client& client = client_for(desired, desired.password);
  const int requests_before = client.requests();
  try {
    co_await client.health();
  } catch (const std::exception& e) {
    report.errors.push_back(std::string("Grafana at ") + desired.base_url + " is not ready: " + e.what());
    report.requests = client.requests() - requests_before;
    co_return report;
  }
  try {
    co_await sync_datasources(client, desired, report);
    auto folders = co_await sync_folders(client, desired, report);
    co_await sync_dashboards(client, desired, folders, report);
  } catch (const std::exception& e) {
    // Only whole-Grafana failures get here (credentials, listing calls, transport).
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
      if (it != remote.end()) {
        if (datasource_matches(ds, *it)) {
          ++report.datasources_unchanged;
          continue;
        }
        if (it->value("readOnly", false)) {
          report.errors.push_back(label + ": provisioned read-only in Grafana and differs from the manifest; "
                                  "stackd cannot change it");
          continue;
        }
        co_await client.update_datasource(ds.uid, body);
        ++report.datasources_updated;
        spdlog::info("grafana: updated {}", label);
        continue;
      }
      try {
        co_await client.create_datasource(body);
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
  json remote = co_await client.folders();
  for (const auto& title : titles) {
    std::string want = folder_uid_for_title(title);
    // Prefer the folder stackd created (stable uid); else adopt one with the
    // exact title, which is what users mean by "put it in folder X".
    auto by_uid = std::find_if(remote.begin(), remote.end(), [&](const json& f) { return f.value("uid", "") == want; });
    if (by_uid != remote.end()) {
      uids[title] = want;
      continue;
    }
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
    } catch (const std::exception& e) {
      p.error = e.what();
    }
  }
}

net::awaitable<bool> Reconciler::written_by_stackd(Client& client, const std::string& uid, int limit) {
  json versions = co_await client.dashboard_versions(uid, limit);
  for (const auto& v : versions)
    if (v.value("message", "").rfind(kVersionMessagePrefix, 0) == 0) co_return true;
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
      if (p.error_status == 401) throw GrafanaError(p.error, 401, "", "");
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

      json body = {{"dashboard", p.model},
                   {"folderUid", p.folder_uid},
                   {"message", version_message(desired.revision)},
                   // Creating with overwrite=false: on Grafana <= 11.2 a title
                   // collision then answers 412 name-exists instead of silently
                   // taking over the other dashboard's uid.
                   {"overwrite", !create}};
      json res = co_await client.save_dashboard(body);
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
  Client& client = client_for(desired, desired.password);
  try {
    co_await client.current_user();
    co_return false;
  } catch (const GrafanaError& e) {
    if (e.status() != 401) throw;
  }
  if (!previous || previous->empty() || *previous == desired.password) {
    throw GrafanaError("Grafana at " + desired.base_url + " rejects the admin password from the manifest for user \"" +
                           desired.user + "\" and no previously applied password is known",
                       401, "", "");
  }
  client.set_credentials({desired.user, *previous, ""});
  try {
    co_await client.current_user();
  } catch (const GrafanaError& e) {
    client.set_credentials({desired.user, desired.password, ""});
    if (e.status() != 401) throw;
    throw GrafanaError("Grafana at " + desired.base_url + " rejects both the manifest's admin password and the "
                           "previously applied one for user \"" + desired.user + "\"",
                       401, "", "");
  }
  co_await client.change_own_password(*previous, desired.password);
  client.set_credentials({desired.user, desired.password, ""});
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
