#include "tests/fakes/grafana/fake_grafana_store.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

namespace stackd::fakes::grafana {

namespace {

std::string now_iso() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Reply error(unsigned status, std::string message, std::string status_word = "") {
  Reply r{status, {{"message", std::move(message)}}};
  if (!status_word.empty()) r.body["status"] = std::move(status_word);
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// util.IsValidShortUID: letters, digits, '-' and '_'.
bool valid_uid(const std::string& uid) {
  return std::all_of(uid.begin(), uid.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

long num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<long>() : 0;
}

int query_int(const Query& q, const std::string& key, int dflt) {
  auto it = q.find(key);
  if (it == q.end()) return dflt;
  try {
    return std::stoi(it->second);
  } catch (...) {
    return dflt;
  }
}

}  // namespace

std::string slugify(const std::string& title) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-') out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Store::Store(StoreOptions options)
    : options_(std::move(options)), admin_login_(options_.admin_user), admin_password_(options_.admin_password) {}

std::string Store::new_uid() {
  // Grafana generates 14-character short uids; a counter keeps tests deterministic.
  char buf[32];
  std::snprintf(buf, sizeof buf, "fk%012llu", static_cast<unsigned long long>(++uid_counter_));
  return buf;
}

// Logins and emails match case-insensitively ([users] case_insensitive_login, on by default).
bool Store::check_basic(const std::string& user, const std::string& password) const {
  return (lower(user) == lower(admin_login_) || lower(user) == "admin@localhost") && password == admin_password_;
}

bool Store::unique_titles() const {
  return options_.unique_titles.value_or(options_.version < GrafanaVersion::v11_3);
}

// pkg/services/loginattempt/loginattemptimpl/login_attempt.go: a 5-minute
// window, usernames lower-cased, blocked when count >= max attempts.
// pkg/services/authn/clients/password.go: Validate runs before the password
// is checked (so a blocked user is refused even with the right password) and
// only an invalid password for an existing user adds an attempt.
int Store::recent_failed_logins(const std::string& user) const {
  const auto since = options_.now() - std::chrono::minutes(5);
  const std::string name = lower(user);
  return static_cast<int>(std::count_if(login_attempts_.begin(), login_attempts_.end(),
                                        [&](const LoginAttempt& a) { return a.username == name && a.at > since; }));
}

PasswordCheck Store::authenticate_password(const std::string& user, const std::string& password) {
  if (options_.brute_force_protection && recent_failed_logins(user) >= options_.max_login_attempts)
    return PasswordCheck::blocked;
  if (check_basic(user, password)) return PasswordCheck::ok;
  const bool known_user = lower(user) == lower(admin_login_) || lower(user) == "admin@localhost";
  if (options_.brute_force_protection && known_user && !password.empty()) {
    login_attempts_.push_back({lower(user), options_.now()});
    // The cleanup job drops attempts older than 10 minutes.
    const auto old = options_.now() - std::chrono::minutes(10);
    login_attempts_.erase(std::remove_if(login_attempts_.begin(), login_attempts_.end(),
                                         [&](const LoginAttempt& a) { return a.at < old; }),
                          login_attempts_.end());
  }
  return PasswordCheck::wrong;
}

Reply Store::current_user() const {
  return {200,
          {{"id", 1},
           {"uid", "admin-uid"},
           {"login", admin_login_},
           {"email", "admin@localhost"},
           {"name", ""},
           {"orgId", 1},
           {"isGrafanaAdmin", true},
           {"isDisabled", false}}};
}

Reply Store::change_own_password(const json& body) {
  if (!body.is_object()) return error(400, "bad request data");
  if (str(body, "oldPassword") != admin_password_) return error(401, "Invalid old password");
  std::string next = str(body, "newPassword");
  if (body.contains("confirmNew") && str(body, "confirmNew") != next) return error(400, "New passwords do not match");
  if (next.size() < 4) return error(400, "New password is too short");
  admin_password_ = next;
  touch();
  return {200, {{"message", "User password changed"}}};
}

Reply Store::admin_set_password(const std::string& id, const json& body) {
  if (id != "1") return error(404, "user not found");
  if (!body.is_object()) return error(400, "bad request data");
  std::string next = str(body, "password");
  if (next.size() < 4) return error(400, "New password is too short");
  admin_password_ = next;
  touch();
  return {200, {{"message", "User password updated"}}};
}

const Store::Folder* Store::folder_by_uid(const std::string& uid) const {
  auto it = folders_.find(uid);
  return it == folders_.end() ? nullptr : &it->second;
}

Reply Store::save_dashboard(const json& body, const std::string& user) {
  if (!body.is_object() || !body.contains("dashboard") || !body["dashboard"].is_object())
    return error(400, "bad request data");
  json dash = body["dashboard"];
  std::string title = str(dash, "title");
  if (title.empty()) return error(400, "Dashboard title cannot be empty", "empty-name");
  if (title.size() > 5000) return error(400, "Dashboard title cannot be more than 5000 characters");
  std::string uid = str(dash, "uid");
  if (uid.size() > 40) return error(400, "uid too long, max 40 characters");
  if (!valid_uid(uid)) return error(400, "uid contains illegal characters");
  std::string message = str(body, "message");
  if (message.size() > 500) return error(400, "Dashboard message too long");
  bool overwrite = body.value("overwrite", false);

  // folderUid overrides folderId; neither means the root (documented: an
  // update without them moves the dashboard to the root).
  std::string folder_uid = str(body, "folderUid");
  if (!folder_uid.empty()) {
    if (!folder_by_uid(folder_uid)) return error(400, "folder not found", "not-found");
  } else if (long fid = num(body, "folderId"); fid > 0) {
    auto it = std::find_if(folders_.begin(), folders_.end(), [&](const auto& f) { return f.second.id == fid; });
    if (it == folders_.end()) return error(400, "folder not found", "not-found");
    folder_uid = it->first;
  }

  // getExistingDashboardByIDOrUIDForUpdate
  Dashboard* existing = nullptr;
  long id = num(dash, "id");
  if (id > 0) {
    for (auto& [u, d] : dashboards_)
      if (d.id == id) existing = &d;
    if (!existing) return error(404, "Dashboard not found", "not-found");
    if (!uid.empty()) {
      auto it = dashboards_.find(uid);
      if (it != dashboards_.end() && it->second.id != id)
        return error(400, "A dashboard with the same uid already exists");
    }
  } else if (!uid.empty()) {
    auto it = dashboards_.find(uid);
    if (it != dashboards_.end()) existing = &it->second;
  }
  if (existing) {
    if (existing->provisioned) return error(400, "Cannot save provisioned dashboard");
    long sent_version = num(dash, "version");
    if (!overwrite && sent_version != existing->version)
      return error(412, "The dashboard has been changed by someone else", "version-mismatch");
  }
  // getExistingDashboardByTitleAndFolder (Grafana <= 11.2 only). Folders were
  // rows of the dashboard table then, so a folder's title counts too
  // (ErrDashboardWithSameNameAsFolder, 400 name-match).
  if (unique_titles()) {
    std::string slug = slugify(title);
    for (const auto& [u, f] : folders_)
      if (f.parent_uid == folder_uid && slugify(f.title) == slug)
        return error(400, "Dashboard name cannot be the same as folder", "name-match");
    for (auto& [u, d] : dashboards_) {
      if (d.folder_uid != folder_uid || slugify(str(d.data, "title")) != slug) continue;
      if (existing && existing->id == d.id) continue;
      if (!overwrite) return error(412, "A dashboard with the same name in the folder already exists", "name-exists");
      existing = &d;  // the posted dashboard silently takes over the other one
      break;
    }
  }

  const std::string now = now_iso();
  Dashboard* target = existing;
  if (!target) {
    if (uid.empty()) uid = new_uid();
    target = &dashboards_[uid];
    target->id = next_id_++;
    target->uid = uid;
    target->created = now;
    target->created_by = user;
    target->version = 0;
  }
  target->version += 1;
  target->updated = now;
  target->updated_by = user;
  target->folder_uid = folder_uid;
  dash["id"] = target->id;
  dash["uid"] = target->uid;
  dash["version"] = target->version;
  target->data = dash;
  Version v;
  v.id = next_version_id_++;
  v.version = target->version;
  v.created = now;
  v.created_by = user;
  v.message = message;
  v.data = dash;
  target->versions.push_back(std::move(v));
  if (options_.versions_to_keep > 0 && static_cast<int>(target->versions.size()) > options_.versions_to_keep)
    target->versions.erase(target->versions.begin(),
                           target->versions.end() - options_.versions_to_keep);
  touch();
  std::string slug = slugify(title);
  return {200,
          {{"id", target->id},
           {"uid", target->uid},
           {"url", "/d/" + target->uid + "/" + slug},
           {"status", "success"},
           {"version", target->version},
           {"slug", slug},
           {"folderUid", folder_uid}}};
}

Reply Store::get_dashboard(const std::string& uid) const {
  auto it = dashboards_.find(uid);
  if (it == dashboards_.end()) return error(404, "Dashboard not found");
  const auto& d = it->second;
  if (d.schema_v2)
    return error(406, "dashboard api version not supported, use /apis/dashboard.grafana.app/v2alpha1/namespaces/default/dashboards/" +
                          d.uid + " instead");
  const Folder* f = folder_by_uid(d.folder_uid);
  std::string slug = slugify(str(d.data, "title"));
  json meta = {{"type", "db"},
               {"canSave", !d.provisioned},
               {"canEdit", true},
               {"canAdmin", true},
               {"canStar", true},
               {"canDelete", !d.provisioned},
               {"slug", slug},
               {"url", "/d/" + d.uid + "/" + slug},
               {"expires", "0001-01-01T00:00:00Z"},
               {"created", d.created},
               {"updated", d.updated},
               {"updatedBy", d.updated_by},
               {"createdBy", d.created_by},
               {"version", d.version},
               {"hasAcl", false},
               {"isFolder", false},
               {"folderId", f ? f->id : 0},
               {"folderUid", d.folder_uid},
               {"folderTitle", f ? f->title : "General"},
               {"folderUrl", f ? "/dashboards/f/" + f->uid + "/" + slugify(f->title) : ""},
               {"provisioned", d.provisioned},
               {"provisionedExternalId", d.provisioned ? d.uid + ".json" : ""},
               {"annotationsPermissions", json::object()}};
  json dash = d.data;
  dash["version"] = d.version;  // "make sure db version is in sync with json model version"
  return {200, {{"dashboard", std::move(dash)}, {"meta", std::move(meta)}}};
}

Reply Store::create_v2_dashboard(const json& body, const std::string& user) {
  if (options_.version < GrafanaVersion::v12_0) return error(404, "Not found");
  if (!body.is_object() || !body.contains("metadata") || !body.contains("spec") || !body["spec"].is_object())
    return error(400, "bad request data");
  std::string uid = str(body["metadata"], "name");
  if (uid.empty() || !valid_uid(uid) || dashboards_.count(uid)) return error(409, "dashboard already exists");
  Dashboard& d = dashboards_[uid];
  d.id = next_id_++;
  d.uid = uid;
  d.created = d.updated = now_iso();
  d.created_by = d.updated_by = user;
  d.version = 1;
  d.schema_v2 = true;
  d.data = body["spec"];
  d.data["uid"] = uid;
  Version v;
  v.id = next_version_id_++;
  v.version = 1;
  v.created = d.created;
  v.created_by = user;
  v.data = d.data;
  d.versions.push_back(std::move(v));
  touch();
  return {201, {{"apiVersion", "dashboard.grafana.app/v2alpha1"}, {"kind", "Dashboard"},
                {"metadata", {{"name", uid}, {"generation", 1}}}, {"spec", d.data}}};
}

Reply Store::delete_dashboard(const std::string& uid) {
  auto it = dashboards_.find(uid);
  if (it == dashboards_.end()) return error(404, "Dashboard not found");
  if (it->second.provisioned) return error(400, "provisioned dashboard cannot be deleted");
  std::string title = str(it->second.data, "title");
  long id = it->second.id;
  dashboards_.erase(it);
  touch();
  return {200, {{"title", title}, {"message", "Dashboard " + title + " deleted"}, {"id", id}, {"uid", uid}}};
}

Reply Store::dashboard_versions(const std::string& uid, const Query& q) const {
  auto it = dashboards_.find(uid);
  if (it == dashboards_.end()) return error(404, "Dashboard not found");
  const auto& d = it->second;
  int limit = query_int(q, "limit", 0);
  int start = query_int(q, "start", 0);
  json versions = json::array();
  int skipped = 0;
  for (auto v = d.versions.rbegin(); v != d.versions.rend(); ++v) {
    if (skipped++ < start) continue;
    if (limit > 0 && static_cast<int>(versions.size()) >= limit) break;
    versions.push_back({{"id", v->id},
                        {"dashboardId", d.id},
                        {"uid", d.uid},
                        {"parentVersion", v->version > 1 ? v->version - 1 : 0},
                        {"restoredFrom", 0},
                        {"version", v->version},
                        {"created", v->created},
                        {"createdBy", v->created_by},
                        // pkg/api/dashboard.go GetDashboardVersions: the list
                        // says "Initial save" for every first version, whatever
                        // was saved; only the single-version GET has the message.
                        {"message", v->version > 1 ? v->message : std::string("Initial save")}});
  }
  // A bare array up to 11.4 (docs v11.4); {"versions", "continueToken"} from
  // 11.6 (docs v12.4).
  if (options_.version < GrafanaVersion::v12_0) return {200, std::move(versions)};
  return {200, {{"continueToken", ""}, {"versions", std::move(versions)}}};
}

Reply Store::dashboard_version(const std::string& uid, const std::string& version) const {
  auto it = dashboards_.find(uid);
  if (it == dashboards_.end()) return error(404, "Dashboard not found");
  for (const auto& v : it->second.versions)
    if (std::to_string(v.version) == version)
      return {200,
              {{"id", v.id},
               {"dashboardId", it->second.id},
               {"uid", uid},
               {"parentVersion", v.version > 1 ? v.version - 1 : 0},
               {"restoredFrom", 0},
               {"version", v.version},
               {"created", v.created},
               {"createdBy", v.created_by},
               {"message", v.message},
               {"data", v.data}}};
  // pkg/api/dashboard.go GetDashboardVersion answers 500 for a missing version.
  return error(500, "Dashboard version " + version + " not found for dashboardId " + std::to_string(it->second.id));
}

json Store::dashboard_hit(const Dashboard& d) const {
  const Folder* f = folder_by_uid(d.folder_uid);
  std::string title = str(d.data, "title");
  json hit = {{"id", d.id},
              {"uid", d.uid},
              {"orgId", 1},
              {"title", title},
              {"uri", "db/" + slugify(title)},
              {"url", "/d/" + d.uid + "/" + slugify(title)},
              {"slug", ""},
              {"type", "dash-db"},
              {"tags", d.data.contains("tags") && d.data["tags"].is_array() ? d.data["tags"] : json::array()},
              {"isStarred", false},
              {"sortMeta", 0},
              {"isDeleted", false}};
  if (f) {
    hit["folderId"] = f->id;
    hit["folderUid"] = f->uid;
    hit["folderTitle"] = f->title;
    hit["folderUrl"] = "/dashboards/f/" + f->uid + "/" + slugify(f->title);
  }
  return hit;
}

Reply Store::search(const Query& q) const {
  int limit = std::clamp(query_int(q, "limit", 1000), 1, 5000);
  int page = std::max(1, query_int(q, "page", 1));
  std::string type = q.count("type") ? q.find("type")->second : "";
  std::string text = q.count("query") ? lower(q.find("query")->second) : "";
  std::vector<std::string> tags, folder_uids, dash_uids;
  for (auto [b, e] = q.equal_range("tag"); b != e; ++b) tags.push_back(b->second);
  for (auto [b, e] = q.equal_range("folderUIDs"); b != e; ++b) folder_uids.push_back(b->second);
  for (auto [b, e] = q.equal_range("dashboardUIDs"); b != e; ++b) dash_uids.push_back(b->second);

  std::vector<json> hits;
  if ((type.empty() || type == "dash-folder") && tags.empty() && dash_uids.empty()) {
    for (const auto& [uid, f] : folders_) {
      if (!text.empty() && lower(f.title).find(text) == std::string::npos) continue;
      if (!folder_uids.empty()) continue;  // top-level folders live in the root only
      hits.push_back({{"id", f.id},
                      {"uid", f.uid},
                      {"orgId", 1},
                      {"title", f.title},
                      {"uri", "db/" + slugify(f.title)},
                      {"url", "/dashboards/f/" + f.uid + "/" + slugify(f.title)},
                      {"slug", ""},
                      {"type", "dash-folder"},
                      {"tags", json::array()},
                      {"isStarred", false},
                      {"sortMeta", 0},
                      {"isDeleted", false}});
    }
  }
  if (type.empty() || type == "dash-db") {
    for (const auto& [uid, d] : dashboards_) {
      if (!text.empty() && lower(str(d.data, "title")).find(text) == std::string::npos) continue;
      if (!dash_uids.empty() && std::find(dash_uids.begin(), dash_uids.end(), uid) == dash_uids.end()) continue;
      if (!folder_uids.empty()) {
        std::string fu = d.folder_uid.empty() ? "general" : d.folder_uid;
        if (std::find(folder_uids.begin(), folder_uids.end(), fu) == folder_uids.end()) continue;
      }
      bool all_tags = true;
      for (const auto& t : tags) {
        const json& dt = d.data.contains("tags") ? d.data["tags"] : json::array();
        if (!dt.is_array() || std::find(dt.begin(), dt.end(), json(t)) == dt.end()) all_tags = false;
      }
      if (!all_tags) continue;
      hits.push_back(dashboard_hit(d));
    }
  }
  // Folders first, then by title, as Grafana's default alphabetical sort.
  std::stable_sort(hits.begin(), hits.end(), [](const json& a, const json& b) {
    bool af = a["type"] == "dash-folder", bf = b["type"] == "dash-folder";
    if (af != bf) return af;
    return lower(a["title"].get<std::string>()) < lower(b["title"].get<std::string>());
  });
  json out = json::array();
  std::size_t from = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(limit);
  for (std::size_t i = from; i < hits.size() && i < from + static_cast<std::size_t>(limit); ++i)
    out.push_back(std::move(hits[i]));
  return {200, std::move(out)};
}

json Store::folder_json(const Folder& f) const {
  return {{"id", f.id},
          {"uid", f.uid},
          {"orgId", 1},
          {"title", f.title},
          {"url", "/dashboards/f/" + f.uid + "/" + slugify(f.title)},
          {"hasAcl", false},
          {"canSave", true},
          {"canEdit", true},
          {"canAdmin", true},
          {"canDelete", true},
          {"createdBy", f.created_by},
          {"created", f.created},
          {"updatedBy", f.updated_by},
          {"updated", f.updated},
          {"version", f.version}};
}

Reply Store::list_folders(const Query& q) const {
  int limit = std::clamp(query_int(q, "limit", 1000), 1, 5000);
  int page = std::max(1, query_int(q, "page", 1));
  // Nested folders (11.0+): the list holds the children of parentUid, the
  // root's by default (pkg/api/folder.go GetFolders).
  std::string parent = q.count("parentUid") ? q.find("parentUid")->second : "";
  std::vector<const Folder*> all;
  for (const auto& [uid, f] : folders_)
    if (!nested_folders() || f.parent_uid == parent) all.push_back(&f);
  std::sort(all.begin(), all.end(), [](const Folder* a, const Folder* b) { return lower(a->title) < lower(b->title); });
  json out = json::array();
  std::size_t from = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(limit);
  for (std::size_t i = from; i < all.size() && i < from + static_cast<std::size_t>(limit); ++i)
  {
    json item = {{"id", all[i]->id}, {"uid", all[i]->uid}, {"title", all[i]->title}};
    if (nested_folders()) item["parentUid"] = all[i]->parent_uid;
    out.push_back(std::move(item));
  }
  return {200, std::move(out)};
}

Reply Store::get_folder(const std::string& uid) const {
  const Folder* f = folder_by_uid(uid);
  if (!f) return error(404, "folder not found", "not-found");
  json out = folder_json(*f);
  if (nested_folders()) {
    out["parentUid"] = f->parent_uid;
    json parents = json::array();
    for (const Folder* p = folder_by_uid(f->parent_uid); p && parents.size() < 8; p = folder_by_uid(p->parent_uid))
      parents.insert(parents.begin(), json{{"uid", p->uid}, {"title", p->title}});
    out["parents"] = std::move(parents);
  }
  return {200, std::move(out)};
}

Reply Store::move_folder(const std::string& uid, const json& body) {
  if (!nested_folders()) return error(404, "Not found");
  auto it = folders_.find(uid);
  if (it == folders_.end()) return error(404, "folder not found", "not-found");
  std::string parent = body.is_object() ? str(body, "parentUid") : "";
  if (!parent.empty() && !folder_by_uid(parent)) return error(404, "folder not found", "not-found");
  for (const Folder* p = folder_by_uid(parent); p; p = folder_by_uid(p->parent_uid))
    if (p->uid == uid) return error(400, "failed to move folder: circular reference detected");
  it->second.parent_uid = parent;
  it->second.version += 1;
  touch();
  return get_folder(uid);
}

Reply Store::create_folder(const json& body, const std::string& user) {
  if (!body.is_object()) return error(400, "bad request data");
  std::string title = str(body, "title");
  if (title.empty()) return error(400, "folder title cannot be empty");
  std::string uid = str(body, "uid");
  if (uid.size() > 40) return error(400, "uid too long, max 40 characters");
  if (!valid_uid(uid)) return error(400, "uid contains illegal characters");
  // Without nested folders Grafana ignores parentUid.
  std::string parent = nested_folders() ? str(body, "parentUid") : "";
  if (!parent.empty() && !folder_by_uid(parent)) return error(400, "parent folder not found");
  if (!uid.empty() && folders_.count(uid)) return error(409, "a folder with the same uid already exists");
  if (unique_titles())
    for (const auto& [u, f] : folders_)
      if (f.parent_uid == parent && lower(f.title) == lower(title))
        return error(409, "a folder with the same name already exists");
  if (uid.empty()) uid = new_uid();
  Folder f;
  f.id = next_id_++;
  f.uid = uid;
  f.title = title;
  f.parent_uid = parent;
  f.created = f.updated = now_iso();
  f.created_by = f.updated_by = user;
  folders_[uid] = f;
  touch();
  return {200, folder_json(f)};
}

Reply Store::update_folder(const std::string& uid, const json& body, const std::string& user) {
  auto it = folders_.find(uid);
  if (it == folders_.end()) return error(404, "folder not found", "not-found");
  if (!body.is_object()) return error(400, "bad request data");
  auto& f = it->second;
  if (!body.value("overwrite", false) && num(body, "version") != f.version)
    return error(412, "the folder has been changed by someone else", "version-mismatch");
  std::string title = str(body, "title");
  if (title.empty()) return error(400, "folder title cannot be empty");
  f.title = title;
  f.version += 1;
  f.updated = now_iso();
  f.updated_by = user;
  touch();
  return {200, folder_json(f)};
}

Reply Store::delete_folder(const std::string& uid) {
  auto it = folders_.find(uid);
  if (it == folders_.end()) return error(404, "folder not found", "not-found");
  // Deleting a folder deletes every dashboard in it (documented).
  for (auto d = dashboards_.begin(); d != dashboards_.end();)
    d = d->second.folder_uid == uid ? dashboards_.erase(d) : std::next(d);
  long id = it->second.id;
  std::string title = it->second.title;
  folders_.erase(it);
  touch();
  return {200, {{"message", "Folder deleted"}, {"id", id}, {"title", title}}};
}

json Store::datasource_public(const json& ds, bool full) const {
  json out = ds;
  out.erase("secureJsonData");
  if (!full) {
    out.erase("basicAuthUser");
    out.erase("withCredentials");
    out.erase("secureJsonFields");
    out.erase("version");
  }
  return out;
}

Reply Store::list_datasources() const {
  json out = json::array();
  for (const auto& [uid, ds] : datasources_) out.push_back(datasource_public(ds, false));
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return {200, std::move(out)};
}

Reply Store::get_datasource_by_uid(const std::string& uid) const {
  auto it = datasources_.find(uid);
  if (it == datasources_.end()) return error(404, "Data source not found");
  return {200, datasource_public(it->second, true)};
}

Reply Store::get_datasource_by_name(const std::string& name) const {
  for (const auto& [uid, ds] : datasources_)
    if (ds["name"] == name) return {200, datasource_public(ds, true)};
  return error(404, "Data source not found");
}

namespace {
// Core datasource plugins renamed in Grafana 10/11 keep their old id as an
// alias (plugin.json "aliasIDs"); Grafana stores and lists the plugin's own id.
std::string canonical_plugin_id(const std::string& type) {
  if (type == "postgres") return "grafana-postgresql-datasource";
  if (type == "testdata") return "grafana-testdata-datasource";
  return type;
}

// The columns a datasource command carries; anything not sent is reset
// (Grafana's UpdateDataSourceCommand is a full replacement).
json datasource_from_command(const json& body) {
  const std::string type = canonical_plugin_id(str(body, "type"));
  json ds = {{"orgId", 1},
             {"name", str(body, "name")},
             {"type", type},
             {"typeName", type},
             {"typeLogoUrl", "public/app/plugins/datasource/" + type + "/img/logo.svg"},
             {"access", body.value("access", std::string("proxy"))},
             {"url", str(body, "url")},
             {"user", str(body, "user")},
             {"database", str(body, "database")},
             {"basicAuth", body.value("basicAuth", false)},
             {"basicAuthUser", str(body, "basicAuthUser")},
             {"withCredentials", body.value("withCredentials", false)},
             {"isDefault", body.value("isDefault", false)},
             {"jsonData", body.contains("jsonData") && body["jsonData"].is_object() ? body["jsonData"] : json::object()},
             {"secureJsonFields", json::object()},
             {"readOnly", false}};
  if (body.contains("secureJsonData") && body["secureJsonData"].is_object())
    for (const auto& [k, v] : body["secureJsonData"].items()) ds["secureJsonFields"][k] = true;
  return ds;
}
}  // namespace

Reply Store::create_datasource(const json& body) {
  if (!body.is_object()) return error(400, "bad request data");
  json ds = datasource_from_command(body);
  if (ds["name"] == "") return error(400, "Missing data source name");
  std::string uid = str(body, "uid");
  if (uid.size() > 40) return error(400, "Failed to add datasource: uid too long, max 40 characters");
  if (!valid_uid(uid)) return error(400, "Failed to add datasource: uid contains illegal characters");
  for (const auto& [u, other] : datasources_)
    if (other["name"] == ds["name"]) return error(409, "data source with the same name already exists");
  if (!uid.empty() && datasources_.count(uid)) return error(409, "data source with the same uid already exists");
  if (uid.empty()) uid = new_uid();
  if (ds["isDefault"] == true)
    for (auto& [u, other] : datasources_) other["isDefault"] = false;
  ds["id"] = next_ds_id_++;
  ds["uid"] = uid;
  ds["version"] = 1;
  datasources_[uid] = ds;
  touch();
  return {200,
          {{"datasource", datasource_public(ds, true)},
           {"id", ds["id"]},
           {"message", "Datasource added"},
           {"name", ds["name"]}}};
}

Reply Store::update_datasource(const std::string& uid, const json& body) {
  auto it = datasources_.find(uid);
  if (it == datasources_.end()) return error(404, "Data source not found");
  if (!body.is_object()) return error(400, "bad request data");
  json& cur = it->second;
  if (cur["readOnly"] == true) return error(403, "Cannot update read-only data source");
  json ds = datasource_from_command(body);
  if (ds["name"] == "") return error(400, "Missing data source name");
  for (const auto& [u, other] : datasources_)
    if (u != uid && other["name"] == ds["name"]) return error(409, "data source with the same name already exists");
  long sent = num(body, "version");
  // Optimistic lock only when a version is sent: UPDATE ... WHERE version < sent+1.
  if (sent != 0 && cur["version"].get<long>() >= sent + 1)
    return error(409, "Datasource has already been updated by someone else. Please reload and try again");
  if (ds["isDefault"] == true)
    for (auto& [u, other] : datasources_) other["isDefault"] = false;
  ds["id"] = cur["id"];
  ds["uid"] = uid;
  ds["version"] = std::max(sent, cur["version"].get<long>()) + 1;
  cur = ds;
  touch();
  return {200,
          {{"datasource", datasource_public(cur, true)},
           {"id", cur["id"]},
           {"message", "Datasource updated"},
           {"name", cur["name"]}}};
}

Reply Store::delete_datasource_by_uid(const std::string& uid) {
  auto it = datasources_.find(uid);
  if (it == datasources_.end()) return error(404, "Data source not found");
  if (it->second["readOnly"] == true) return error(403, "Cannot delete read-only data source");
  long id = it->second["id"].get<long>();
  datasources_.erase(it);
  touch();
  return {200, {{"message", "Data source deleted"}, {"id", id}}};
}

Reply Store::delete_datasource_by_name(const std::string& name) {
  for (const auto& [uid, ds] : datasources_)
    if (ds["name"] == name) return delete_datasource_by_uid(uid);
  return error(404, "Data source not found");
}

json Store::to_json() const {
  json d = json::array(), f = json::array(), s = json::array();
  for (const auto& [uid, x] : dashboards_) {
    json versions = json::array();
    for (const auto& v : x.versions)
      versions.push_back({{"id", v.id},
                          {"version", v.version},
                          {"created", v.created},
                          {"createdBy", v.created_by},
                          {"message", v.message},
                          {"data", v.data}});
    d.push_back({{"id", x.id},
                 {"uid", x.uid},
                 {"folderUid", x.folder_uid},
                 {"created", x.created},
                 {"updated", x.updated},
                 {"createdBy", x.created_by},
                 {"updatedBy", x.updated_by},
                 {"version", x.version},
                 {"provisioned", x.provisioned},
                 {"schemaV2", x.schema_v2},
                 {"data", x.data},
                 {"versions", std::move(versions)}});
  }
  for (const auto& [uid, x] : folders_)
    f.push_back({{"id", x.id},
                 {"uid", x.uid},
                 {"title", x.title},
                 {"parentUid", x.parent_uid},
                 {"version", x.version},
                 {"created", x.created},
                 {"updated", x.updated},
                 {"createdBy", x.created_by},
                 {"updatedBy", x.updated_by}});
  for (const auto& [uid, x] : datasources_) s.push_back(x);
  json attempts = json::array();
  for (const auto& a : login_attempts_)
    attempts.push_back({{"username", a.username},
                        {"at", std::chrono::duration_cast<std::chrono::milliseconds>(a.at.time_since_epoch()).count()}});
  return {{"admin", {{"login", admin_login_}, {"password", admin_password_}}},
          {"loginAttempts", std::move(attempts)},
          {"nextId", next_id_},
          {"nextVersionId", next_version_id_},
          {"nextDatasourceId", next_ds_id_},
          {"uidCounter", uid_counter_},
          {"dashboards", std::move(d)},
          {"folders", std::move(f)},
          {"datasources", std::move(s)}};
}

void Store::load_json(const json& st) {
  if (st.contains("admin")) {
    admin_login_ = st["admin"].value("login", admin_login_);
    admin_password_ = st["admin"].value("password", admin_password_);
  }
  for (const auto& a : st.value("loginAttempts", json::array()))
    login_attempts_.push_back({a.value("username", ""), std::chrono::system_clock::time_point(
                                                            std::chrono::milliseconds(a.value("at", 0LL)))});
  next_id_ = st.value("nextId", 1L);
  next_version_id_ = st.value("nextVersionId", 1L);
  next_ds_id_ = st.value("nextDatasourceId", 1L);
  uid_counter_ = st.value("uidCounter", std::uint64_t{0});
  for (const auto& x : st.value("dashboards", json::array())) {
    Dashboard d;
    d.id = x.value("id", 0L);
    d.uid = x.value("uid", "");
    d.folder_uid = x.value("folderUid", "");
    d.created = x.value("created", "");
    d.updated = x.value("updated", "");
    d.created_by = x.value("createdBy", "");
    d.updated_by = x.value("updatedBy", "");
    d.version = x.value("version", 1);
    d.provisioned = x.value("provisioned", false);
    d.schema_v2 = x.value("schemaV2", false);
    d.data = x.value("data", json::object());
    for (const auto& v : x.value("versions", json::array()))
      d.versions.push_back({v.value("id", 0L), v.value("version", 0), v.value("created", ""),
                            v.value("createdBy", ""), v.value("message", ""), v.value("data", json::object())});
    next_id_ = std::max(next_id_, d.id + 1);
    dashboards_[d.uid] = std::move(d);
  }
  for (const auto& x : st.value("folders", json::array())) {
    Folder f;
    f.id = x.value("id", 0L);
    f.uid = x.value("uid", "");
    f.title = x.value("title", "");
    f.parent_uid = x.value("parentUid", "");
    f.version = x.value("version", 1);
    f.created = x.value("created", "");
    f.updated = x.value("updated", "");
    f.created_by = x.value("createdBy", "");
    f.updated_by = x.value("updatedBy", "");
    next_id_ = std::max(next_id_, f.id + 1);
    folders_[f.uid] = f;
  }
  for (const auto& x : st.value("datasources", json::array())) {
    json ds = x;
    if (!ds.contains("readOnly")) ds["readOnly"] = false;
    if (!ds.contains("version")) ds["version"] = 1;
    if (!ds.contains("id")) ds["id"] = next_ds_id_;
    next_ds_id_ = std::max(next_ds_id_, ds["id"].get<long>() + 1);
    datasources_[ds.value("uid", "")] = ds;
  }
}

}  // namespace stackd::fakes::grafana
