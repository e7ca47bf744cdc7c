#include "clients/docker/fake_engine.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

namespace stackd::docker {

namespace {

std::string rfc3339(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool matches(const Labels& have, const Labels& filter) {
  for (const auto& [k, v] : filter) {
    auto it = have.find(k);
    if (it == have.end() || (!v.empty() && it->second != v)) return false;
  }
  return true;
}

Labels labels_from(const nlohmann::json& j) {
  Labels out;
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

// Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_name(const std::string& n) {
  if (n.size() < 2 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::string normalise_dir(std::string path) {
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

struct ArchiveMember {
  std::string path;
  FakeEngine::File file;
};

// Regular files of a tar with their mode and mtime (what the engine keeps).
std::vector<ArchiveMember> untar(const std::string& tar) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK)
    throw DockerError(400, std::string("archive: ") + archive_error_string(a.get()));
  std::vector<ArchiveMember> out;
  archive_entry* entry = nullptr;
  int r;
  while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    ArchiveMember m;
    m.path = archive_entry_pathname(entry);
    m.file.mode = archive_entry_perm(entry);
    m.file.mtime = archive_entry_mtime(entry);
    auto size = archive_entry_size(entry);
    m.file.content.resize(static_cast<std::size_t>(size));
    if (size > 0 && archive_read_data(a.get(), m.file.content.data(), m.file.content.size()) != size)
      throw DockerError(400, std::string("archive: ") + archive_error_string(a.get()));
    out.push_back(std::move(m));
  }
  if (r != ARCHIVE_EOF) throw DockerError(400, std::string("archive: ") + archive_error_string(a.get()));
  return out;
}

std::string tar_of(const std::vector<ArchiveMember>& members) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_open(
      a.get(), &out, nullptr,
      [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& m : members) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), m.path.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(m.file.content.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), m.file.mode);
    archive_entry_set_mtime(e.get(), static_cast<time_t>(m.file.mtime), 0);
    archive_write_header(a.get(), e.get());
    archive_write_data(a.get(), m.file.content.data(), m.file.content.size());
  }
  archive_write_close(a.get());
  return out;
}

std::vector<std::string> volumes_mounted(const nlohmann::json& body) {
  std::vector<std::string> out;
  auto host = body.value("HostConfig", nlohmann::json::object());
  for (const auto& m : host.value("Mounts", nlohmann::json::array()))
    if (m.value("Type", "") == "volume" && m.contains("Source")) out.push_back(m["Source"].get<std::string>());
  return out;
}

}  // namespace

struct FakeEngine::Subscriber {
  Labels filter;
  std::deque<Event> pending;
  std::unique_ptr<net::steady_timer> wake;
  bool closed = false;
};

FakeEngine::FakeEngine() = default;
FakeEngine::~FakeEngine() = default;

// --- arranging ---

void FakeEngine::add_image(const std::string& ref) { images_[ref] = true; }
void FakeEngine::add_pullable_image(const std::string& ref) {
  if (!images_.count(ref)) images_[ref] = false;
}
void FakeEngine::set_image_behaviour(const std::string& ref, ImageBehaviour b) { behaviours_[ref] = std::move(b); }

std::string FakeEngine::add_container(const std::string& name, const Labels& labels, const std::string& image,
                                      bool running) {
  add_image(image);
  auto c = std::make_unique<Container>();
  c->id = new_id();
  c->name = name;
  c->image = image;
  c->labels = labels;
  c->create_body = {{"Image", image}, {"Labels", labels}};
  auto& ref = *c;
  containers_.push_back(std::move(c));
  if (running) start(ref);
  return ref.id;
}

void FakeEngine::write_file(const std::string& id_or_name, const std::string& path, const std::string& content,
                            unsigned mode) {
  auto& c = require(id_or_name, "write file");
  c.files[normalise_dir(path)] = File{content, mode, now_++};
}

void FakeEngine::kill_container(const std::string& id_or_name, int exit_code) {
  auto& c = require(id_or_name, "kill");
  if (c.running()) stop(c, exit_code);
}

void FakeEngine::set_health(const std::string& id_or_name, const std::string& health) {
  require(id_or_name, "set health").health = health;
}

void FakeEngine::fail_next(const std::string& call, const std::string& target, std::exception_ptr error, int times) {
  failures_.push_back({call, target, std::move(error), times});
}

void FakeEngine::fail_next(const std::string& call, const std::string& target, DockerError error, int times) {
  fail_next(call, target, std::make_exception_ptr(std::move(error)), times);
}

void FakeEngine::close_event_streams() {
  for (auto& s : subscribers_) {
    s->closed = true;
    if (s->wake) s->wake->cancel();
  }
}

// --- looking ---

std::vector<FakeEngine::Container> FakeEngine::containers() const {
  std::vector<Container> out;
  for (const auto& c : containers_) out.push_back(*c);
  return out;
}

const FakeEngine::Container* FakeEngine::find(const std::string& id_or_name) const {
  return const_cast<FakeEngine*>(this)->lookup(id_or_name);
}

bool FakeEngine::has_image(const std::string& ref) const {
  auto it = images_.find(ref);
  return it != images_.end() && it->second;
}

int FakeEngine::calls(const std::string& method) const {
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

// --- internals ---

void FakeEngine::crash_after(int calls) { calls_until_crash_ = calls; }
void FakeEngine::revive() { calls_until_crash_.reset(); }

void FakeEngine::enter(const std::string& call, const std::string& target) {
  if (calls_until_crash_) {
    if (*calls_until_crash_ <= 0) throw std::runtime_error("simulated crash: " + call + " " + target + " never sent");
    --*calls_until_crash_;
  }
  calls_[call]++;
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->call != call || (!it->target.empty() && target.find(it->target) == std::string::npos)) continue;
    auto error = it->error;
    if (--it->times <= 0) failures_.erase(it);
    std::rethrow_exception(error);
  }
}

FakeEngine::Container* FakeEngine::lookup(const std::string& key) {
  if (key.empty()) return nullptr;
  std::string name = key.front() == '/' ? key.substr(1) : key;
  for (auto& c : containers_)
    if (c->id == key || c->name == name) return c.get();
  // Like the engine: a unique id prefix also names a container.
  Container* found = nullptr;
  for (auto& c : containers_)
    if (c->id.rfind(key, 0) == 0) {
      if (found) return nullptr;
      found = c.get();
    }
  return found;
}

FakeEngine::Container& FakeEngine::require(const std::string& key, const std::string& what) {
  auto* c = lookup(key);
  if (!c) throw DockerError(404, what + " " + key + ": No such container: " + key);
  return *c;
}

std::string FakeEngine::new_id() {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016llx%048llx", static_cast<unsigned long long>(0xfa4e0000 + next_id_),
                static_cast<unsigned long long>(next_id_));
  ++next_id_;
  return buf;
}

std::string FakeEngine::timestamp() { return rfc3339(++now_); }

void FakeEngine::emit(const std::string& type, const std::string& action, const std::string& id, Labels attributes) {
  Event e{type, action, id, std::move(attributes), now_ * 1'000'000'000};
  for (auto& s : subscribers_) {
    if (s->closed || !matches(e.attributes, s->filter)) continue;
    s->pending.push_back(e);
    if (s->wake) s->wake->cancel();
  }
}

void FakeEngine::start(Container& c) {
  const auto requests = c.create_body.value("HostConfig", nlohmann::json::object()).value("DeviceRequests", nlohmann::json::array());
  for (const auto& r : requests) {
    const std::string driver = r.value("Driver", "");
    if (std::find(device_drivers_.begin(), device_drivers_.end(), driver) != device_drivers_.end()) continue;
    // Go's %q and %v of the request, as the engine writes them: [[gpu]].
    std::string caps = "[";
    for (const auto& set : r.value("Capabilities", nlohmann::json::array())) {
      std::string one;
      for (const auto& cap : set) one += (one.empty() ? "" : " ") + cap.get<std::string>();
      caps += (caps.size() > 1 ? " [" : "[") + one + "]";
    }
    caps += "]";
    c.error = "could not select device driver \"" + driver + "\" with capabilities: " + caps;
    c.exit_code = 128;
    throw DockerError(500, "start container " + c.id + ": " + c.error);
  }
  c.error.clear();
  c.status = "running";
  c.started_at = timestamp();
  c.exit_code = 0;
  auto b = behaviours_.count(c.image) ? behaviours_[c.image] : ImageBehaviour{};
  c.health = c.create_body.contains("Healthcheck") ? "starting" : "";
  auto attrs = c.labels;
  attrs["name"] = c.name;
  emit("container", "start", c.id, attrs);
  if (b.runs_to_completion) {
    if (auto done = b.runs_to_completion(c)) {
      c.log += done->second;
      stop(c, done->first);
      return;
    }
  }
  c.log += b.log;
  if (b.exits_at_once) {
    stop(c, *b.exits_at_once);
    // A restart policy brings it back, and it dies again: the engine shows
    // it restarting with a growing RestartCount.
    auto policy = c.create_body.value("HostConfig", nlohmann::json::object())
                      .value("RestartPolicy", nlohmann::json::object())
                      .value("Name", "");
    if (!policy.empty() && policy != "no") {
      c.status = "restarting";
      c.restart_count++;
    }
    return;
  }
  if (!c.health.empty()) c.health = b.health;
}

void FakeEngine::stop(Container& c, int exit_code) {
  c.status = "exited";
  c.exit_code = exit_code;
  c.finished_at = timestamp();
  if (!c.health.empty()) c.health = "unhealthy";
  auto attrs = c.labels;
  attrs["name"] = c.name;
  attrs["exitCode"] = std::to_string(exit_code);
  emit("container", "die", c.id, attrs);
}

bool FakeEngine::volume_in_use(const std::string& name) const {
  for (const auto& c : containers_)
    for (const auto& v : volumes_mounted(c->create_body))
      if (v == name) return true;
  return false;
}

// --- docker::Api ---

net::awaitable<void> FakeEngine::negotiate() {
  enter("negotiate", "");
  co_return;
}

net::awaitable<std::string> FakeEngine::logs(const std::string& id, int) {
  enter("logs", id);
  const auto* c = find(id);
  co_return c ? c->log : std::string();
}

net::awaitable<EngineInfo> FakeEngine::info() {
  enter("info", "");
  co_return info_;
}

net::awaitable<std::vector<ContainerSummary>> FakeEngine::list_containers(const Labels& filter, bool all) {
  enter("list_containers", "");
  std::vector<ContainerSummary> out;
  for (const auto& c : containers_) {
    if (!all && !c->running()) continue;
    if (!matches(c->labels, filter)) continue;
    out.push_back({c->id, c->name, c->image, c->status, c->labels});
  }
  co_return out;
}

net::awaitable<std::optional<ContainerInfo>> FakeEngine::inspect_container(const std::string& key) {
  enter("inspect_container", key);
  auto* c = lookup(key);
  if (!c) co_return std::nullopt;
  ContainerInfo info;
  info.id = c->id;
  info.name = c->name;
  info.image_id = "sha256:" + std::string(64 - c->image.size() % 64, '0');
  info.image_ref = c->image;
  info.labels = c->labels;
  info.state = {c->status, c->running(), c->exit_code, c->started_at, c->finished_at, c->health, c->error};
  info.restart_count = c->restart_count;
  nlohmann::json state = {{"Status", c->status},         {"Running", c->running()},       {"ExitCode", c->exit_code},
                          {"StartedAt", c->started_at}, {"FinishedAt", c->finished_at}, {"Error", c->error}};
  if (!c->health.empty()) state["Health"] = {{"Status", c->health}};
  nlohmann::json config = c->create_body;
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  info.raw = {{"Id", c->id},
              {"Name", "/" + c->name},
              {"Image", info.image_id},
              {"RestartCount", c->restart_count},
              {"Config", config},
              {"State", state},
              {"HostConfig", c->create_body.value("HostConfig", nlohmann::json::object())}};
  co_return info;
}

net::awaitable<std::string> FakeEngine::create_container(const std::string& name, const nlohmann::json& body) {
  enter("create_container", name);
  if (!valid_name(name))
    throw DockerError(400, "create container " + name + ": Invalid container name (" + name +
                               "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  auto image = body.value("Image", "");
  if (!has_image(image)) throw DockerError(404, "create container " + name + ": No such image: " + image);
  if (auto* holder = lookup(name); holder && holder->name == name)
    throw DockerError(409, "create container " + name + ": Conflict. The container name \"/" + name +
                               "\" is already in use by container \"" + holder->id +
                               "\". You have to remove (or rename) that container to be able to reuse that name.");
  auto mode = body.value("HostConfig", nlohmann::json::object()).value("NetworkMode", "");
  if (!mode.empty() && mode != "host" && mode != "bridge" && mode != "none" && !networks_.count(mode))
    throw DockerError(404, "create container " + name + ": network " + mode + " not found");
  for (const auto& v : volumes_mounted(body))
    if (!volumes_.count(v)) {
      // The engine creates a named volume a mount refers to, without labels.
      volumes_[v] = VolumeInfo{v, {}};
      emit("volume", "create", v, {});
    }
  auto c = std::make_unique<Container>();
  c->id = new_id();
  c->name = name;
  c->image = image;
  c->create_body = body;
  c->labels = labels_from(body.value("Labels", nlohmann::json::object()));
  auto attrs = c->labels;
  attrs["name"] = name;
  auto id = c->id;
  containers_.push_back(std::move(c));
  timestamp();
  emit("container", "create", id, attrs);
  co_return id;
}

net::awaitable<void> FakeEngine::start_container(const std::string& id) {
  enter("start_container", id);
  auto& c = require(id, "start container");
  if (c.running()) co_return;  // the engine's 304
  start(c);
}

net::awaitable<void> FakeEngine::stop_container(const std::string& id, int) {
  enter("stop_container", id);
  auto* c = lookup(id);
  if (!c || !c->running()) co_return;  // 404 and 304 are fine
  stop(*c, 0);
}

net::awaitable<void> FakeEngine::remove_container(const std::string& id, bool force) {
  enter("remove_container", id);
  auto* c = lookup(id);
  if (!c) co_return;  // 404 is fine
  if (c->running() && !force)
    throw DockerError(409, "remove container " + id + ": You cannot remove a running container " + c->id +
                               ". Stop the container before attempting removal or force remove");
  if (c->running()) stop(*c, 137);
  auto attrs = c->labels;
  attrs["name"] = c->name;
  auto removed = c->id;
  containers_.erase(std::find_if(containers_.begin(), containers_.end(), [&](auto& p) { return p.get() == c; }));
  timestamp();
  emit("container", "destroy", removed, attrs);
}

net::awaitable<void> FakeEngine::rename_container(const std::string& id, const std::string& new_name) {
  enter("rename_container", id);
  auto& c = require(id, "rename container");
  if (!valid_name(new_name)) throw DockerError(400, "rename container " + id + ": Invalid container name " + new_name);
  if (auto* holder = lookup(new_name); holder && holder->name == new_name && holder != &c)
    throw DockerError(409, "rename container " + id + " to " + new_name + ": Error when allocating new name: Conflict. "
                                                                         "The container name \"/" +
                               new_name + "\" is already in use by container \"" + holder->id + "\".");
  auto attrs = c.labels;
  attrs["oldName"] = "/" + c.name;
  c.name = new_name;
  attrs["name"] = new_name;
  timestamp();
  emit("container", "rename", c.id, attrs);
  co_return;
}

net::awaitable<void> FakeEngine::put_archive(const std::string& id, const std::string& path, const std::string& tar) {
  enter("put_archive", id);
  auto& c = require(id, "copy files into container");
  auto dir = normalise_dir(path);
  for (const auto& [p, _] : c.files)
    if (p == dir) throw DockerError(400, "copy files into container " + id + " at " + path + ": not a directory");
  for (auto& m : untar(tar)) {
    auto full = normalise_dir((dir == "/" ? "" : dir) + "/" + m.path);
    c.files[full] = std::move(m.file);
  }
  co_return;
}

net::awaitable<std::optional<std::string>> FakeEngine::get_archive(const std::string& id, const std::string& path) {
  enter("get_archive", id);
  auto& c = require(id, "read archive of container");
  auto p = normalise_dir(path);
  // Members are named relative to the path's parent, as the engine does.
  auto parent_len = p.find_last_of('/') + 1;
  std::vector<ArchiveMember> members;
  for (const auto& [fp, f] : c.files)
    if (fp == p || fp.rfind(p == "/" ? "/" : p + "/", 0) == 0) members.push_back({fp.substr(parent_len), f});
  if (members.empty()) co_return std::nullopt;
  co_return tar_of(members);
}

net::awaitable<std::optional<PathStat>> FakeEngine::stat_path(const std::string& id, const std::string& path) {
  enter("stat_path", id);
  auto* c = lookup(id);
  if (!c) co_return std::nullopt;
  auto p = normalise_dir(path);
  auto base = p.substr(p.find_last_of('/') + 1);
  if (auto it = c->files.find(p); it != c->files.end())
    co_return PathStat{base, static_cast<std::int64_t>(it->second.content.size()), it->second.mode, it->second.mtime, ""};
  for (const auto& [fp, _] : c->files)
    if (p == "/" || fp.rfind(p + "/", 0) == 0) co_return PathStat{base, 4096, PathStat::kModeDir | 0755, now_, ""};
  co_return std::nullopt;
}

net::awaitable<ExecResult> FakeEngine::exec(const std::string& id, const std::vector<std::string>& cmd,
                                            std::chrono::seconds) {
  enter("exec", id);
  auto& c = require(id, "exec in container");
  if (!c.running()) throw DockerError(409, "exec in container " + id + ": Container " + c.id + " is not running");
  if (exec_script_) co_return exec_script_(c, cmd);
  co_return ExecResult{0, ""};
}

net::awaitable<int> FakeEngine::wait_container(const std::string& id, std::chrono::seconds timeout) {
  enter("wait_container", id);
  auto& c = require(id, "wait for container");
  if (c.running() || c.status == "restarting")
    throw std::runtime_error("wait for container " + id + ": still running after " + std::to_string(timeout.count()) +
                             "s");
  co_return c.exit_code;
}

net::awaitable<bool> FakeEngine::image_exists(const std::string& ref) {
  enter("image_exists", ref);
  co_return has_image(ref);
}

net::awaitable<void> FakeEngine::pull_image(const std::string& ref, std::function<void(const PullProgress&)> on_progress) {
  enter("pull_image", ref);
  auto it = images_.find(ref);
  if (it == images_.end())
    throw DockerError(404, "pull image " + ref + ": pull access denied for " + ref +
                               ", repository does not exist or may require 'docker login'");
  if (on_progress) {
    on_progress({"", "Pulling from " + ref, ""});
    on_progress({"0123456789ab", "Pull complete", ""});
  }
  it->second = true;
  co_return;
}

net::awaitable<std::vector<NetworkInfo>> FakeEngine::list_networks(const Labels& filter) {
  enter("list_networks", "");
  std::vector<NetworkInfo> out;
  for (const auto& [_, n] : networks_)
    if (matches(n.labels, filter)) out.push_back(n);
  co_return out;
}

net::awaitable<std::optional<NetworkInfo>> FakeEngine::inspect_network(const std::string& name) {
  enter("inspect_network", name);
  auto it = networks_.find(name);
  if (it == networks_.end()) co_return std::nullopt;
  co_return it->second;
}

net::awaitable<void> FakeEngine::create_network(const std::string& name, const Labels& labels) {
  enter("create_network", name);
  if (networks_.count(name)) throw DockerError(409, "create network " + name + ": network with name " + name + " already exists");
  auto id = new_id();
  networks_[name] = NetworkInfo{id, name, "bridge", labels};
  auto attrs = labels;
  attrs["name"] = name;
  emit("network", "create", id, attrs);
  co_return;
}

net::awaitable<void> FakeEngine::remove_network(const std::string& id) {
  enter("remove_network", id);
  for (auto it = networks_.begin(); it != networks_.end(); ++it) {
    if (it->second.id != id && it->first != id) continue;
    for (const auto& c : containers_)
      if (c->create_body.value("HostConfig", nlohmann::json::object()).value("NetworkMode", "") == it->first)
        throw DockerError(403, "remove network " + id + ": error while removing network: network " + it->first +
                                   " id " + it->second.id + " has active endpoints");
    auto attrs = it->second.labels;
    attrs["name"] = it->first;
    auto nid = it->second.id;
    networks_.erase(it);
    emit("network", "destroy", nid, attrs);
    co_return;
  }
  co_return;  // 404 is fine
}

net::awaitable<std::vector<VolumeInfo>> FakeEngine::list_volumes(const Labels& filter) {
  enter("list_volumes", "");
  std::vector<VolumeInfo> out;
  for (const auto& [_, v] : volumes_)
    if (matches(v.labels, filter)) out.push_back(v);
  co_return out;
}

net::awaitable<std::optional<VolumeInfo>> FakeEngine::inspect_volume(const std::string& name) {
  enter("inspect_volume", name);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) co_return std::nullopt;
  co_return it->second;
}

net::awaitable<void> FakeEngine::create_volume(const std::string& name, const Labels& labels) {
  enter("create_volume", name);
  // The engine answers 201 with the existing volume when the name is taken.
  if (volumes_.count(name)) co_return;
  volumes_[name] = VolumeInfo{name, labels};
  emit("volume", "create", name, labels);
  co_return;
}

net::awaitable<void> FakeEngine::remove_volume(const std::string& name) {
  enter("remove_volume", name);
  if (!volumes_.count(name)) co_return;  // 404 is fine
  if (volume_in_use(name)) throw DockerError(409, "remove volume " + name + ": volume is in use");
  auto labels = volumes_[name].labels;
  volumes_.erase(name);
  emit("volume", "destroy", name, labels);
  co_return;
}

net::awaitable<void> FakeEngine::events(const Labels& filter, std::function<bool(const Event&)> on_event,
                                         std::optional<std::chrono::system_clock::time_point>) {
  enter("events", "");
  auto sub = std::make_shared<Subscriber>();
  sub->filter = filter;
  sub->wake = std::make_unique<net::steady_timer>(co_await net::this_coro::executor);
  subscribers_.push_back(sub);
  struct Unsubscribe {
    FakeEngine* self;
    std::shared_ptr<Subscriber> sub;
    ~Unsubscribe() {
      auto& v = self->subscribers_;
      v.erase(std::remove(v.begin(), v.end(), sub), v.end());
    }
  } unsubscribe{this, sub};
  for (;;) {
    while (!sub->pending.empty()) {
      auto e = std::move(sub->pending.front());
      sub->pending.pop_front();
      if (!on_event(e)) co_return;
    }
    if (sub->closed) co_return;
    sub->wake->expires_at(net::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await sub->wake->async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

}  // namespace stackd::docker
