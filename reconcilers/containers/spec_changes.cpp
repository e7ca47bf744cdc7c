// spec_changes: what a recreate changes, field by field, in the words of the
// manifest (an argument by its flag, an environment variable by its name),
// from two create documents in the applied-spec label's form.
#include <map>
#include <set>

#include "api/v1alpha1/labels.hpp"
#include "reconcilers/containers/plan.hpp"

namespace stackd::containers {

namespace {

using nlohmann::json;
using runtime::FieldChange;

constexpr const char* kMasked = "(hidden)";

std::string shown(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void compare(std::vector<FieldChange>& out, const std::string& path, const json& old_value, const json& new_value) {
  if (old_value != new_value) out.push_back({path, shown(old_value), shown(new_value)});
}

// "--flag=value" by flag; any other argument by its position among those.
std::vector<std::pair<std::string, json>> keyed_arguments(const json& cmd) {
  std::vector<std::pair<std::string, json>> out;
  std::map<std::string, int> seen;
  if (!cmd.is_array()) return out;
  int position = 0;
  for (const auto& a : cmd) {
    const std::string arg = a.is_string() ? a.get<std::string>() : a.dump();
    const auto eq = arg.find('=');
    if (arg.rfind("-", 0) == 0 && eq != std::string::npos) {
      std::string key = arg.substr(0, eq);
      if (int n = seen[key]++; n > 0) key += " #" + std::to_string(n + 1);
      out.emplace_back(key, arg.substr(eq + 1));
    } else {
      out.emplace_back("[" + std::to_string(position) + "]", arg);
    }
    ++position;
  }
  return out;
}

void compare_command(std::vector<FieldChange>& out, const json& old_cmd, const json& new_cmd) {
  auto old_args = keyed_arguments(old_cmd), new_args = keyed_arguments(new_cmd);
  // Positional arguments shift when anything is added: compare them as a
  // whole, flags one by one.
  std::string old_positional, new_positional;
  std::map<std::string, json> old_flags, new_flags;
  for (auto& [k, v] : old_args)
    if (k.front() == '[') old_positional += (old_positional.empty() ? "" : " ") + shown(v);
    else old_flags[k] = v;
  for (auto& [k, v] : new_args)
    if (k.front() == '[') new_positional += (new_positional.empty() ? "" : " ") + shown(v);
    else new_flags[k] = v;
  compare(out, "command", old_positional, new_positional);
  std::set<std::string> keys;
  for (const auto& [k, _] : old_flags) keys.insert(k);
  for (const auto& [k, _] : new_flags) keys.insert(k);
  for (const auto& k : keys) {
    json o = old_flags.count(k) ? old_flags[k] : json("(absent)");
    json n = new_flags.count(k) ? new_flags[k] : json("(absent)");
    compare(out, "command " + k, o, n);
  }
}

// Environment values are digests on both sides: say that one changed, never what it is.
void compare_env(std::vector<FieldChange>& out, const json& old_env, const json& new_env) {
  auto by_name = [](const json& env) {
    std::map<std::string, std::string> m;
    if (env.is_array())
      for (const auto& e : env) {
        const std::string s = e.is_string() ? e.get<std::string>() : e.dump();
        const auto eq = s.find('=');
        m[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
      }
    return m;
  };
  auto o = by_name(old_env), n = by_name(new_env);
  std::set<std::string> names;
  for (const auto& [k, _] : o) names.insert(k);
  for (const auto& [k, _] : n) names.insert(k);
  for (const auto& k : names) {
    const bool had = o.count(k), has = n.count(k);
    if (had && has && o[k] == n[k]) continue;
    out.push_back({"env " + k, had ? kMasked : "(absent)", has ? (had ? std::string(kMasked) + ", changed" : kMasked) : "(absent)"});
  }
}

void compare_map(std::vector<FieldChange>& out, const std::string& prefix, const json& old_map, const json& new_map) {
  std::set<std::string> keys;
  if (old_map.is_object())
    for (const auto& [k, _] : old_map.items()) keys.insert(k);
  if (new_map.is_object())
    for (const auto& [k, _] : new_map.items()) keys.insert(k);
  for (const auto& k : keys) {
    json o = old_map.is_object() && old_map.contains(k) ? old_map[k] : json("(absent)");
    json n = new_map.is_object() && new_map.contains(k) ? new_map[k] : json("(absent)");
    compare(out, prefix + k, o, n);
  }
}

// Mounts by their target: "mount /prometheus".
void compare_mounts(std::vector<FieldChange>& out, const json& old_mounts, const json& new_mounts) {
  auto by_target = [](const json& mounts) {
    json m = json::object();
    if (mounts.is_array())
      for (const auto& x : mounts)
        m[x.value("Target", "?")] = x.value("Type", "volume") + " " + x.value("Source", "") +
                                    (x.value("ReadOnly", false) ? " (read-only)" : "");
    return m;
  };
  compare_map(out, "mount ", by_target(old_mounts), by_target(new_mounts));
}

std::string bytes(const json& v) {
  if (!v.is_number_unsigned() && !v.is_number_integer()) return shown(v);
  auto n = v.get<std::uint64_t>();
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && n % 1024 == 0 && u < 4) {
    n /= 1024;
    ++u;
  }
  return std::to_string(n) + units[u];
}

std::string cpus(const json& v) {
  if (!v.is_number()) return shown(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.get<double>() / 1e9);
  return buf;
}

json field(const json& j, const char* key) { return j.is_object() && j.contains(key) ? j[key] : json(); }

// Device requests as `docker run --gpus` writes them: "all", "device=0,1",
// "count=2", with the driver that must provide them.
std::string gpus(const json& requests) {
  if (!requests.is_array() || requests.empty()) return "(none)";
  std::string out;
  for (const auto& r : requests) {
    std::string one;
    const auto ids = field(r, "DeviceIDs");
    const auto count = field(r, "Count");
    if (count.is_number_integer() && count.get<long long>() == -1) one = "all";
    else if (ids.is_array() && !ids.empty()) {
      one = "device=";
      for (std::size_t i = 0; i < ids.size(); ++i) one += (i ? "," : "") + shown(ids[i]);
    } else if (count.is_number_integer()) one = "count=" + std::to_string(count.get<long long>());
    else one = "none";
    if (const auto driver = field(r, "Driver"); driver.is_string() && !driver.get<std::string>().empty())
      one += " (driver " + driver.get<std::string>() + ")";
    out += (out.empty() ? "" : "; ") + one;
  }
  return out;
}

std::string capabilities(const json& caps) {
  if (!caps.is_array() || caps.empty()) return "(none)";
  std::string out;
  for (const auto& c : caps) out += (out.empty() ? "" : ", ") + shown(c);
  return out;
}

}  // namespace

std::vector<FieldChange> spec_changes(const json& applied, const json& desired) {
  std::vector<FieldChange> out;
  const json oh = field(applied, "HostConfig"), nh = field(desired, "HostConfig");
  compare(out, "image", field(applied, "Image"), field(desired, "Image"));
  compare(out, "entrypoint", field(applied, "Entrypoint"), field(desired, "Entrypoint"));
  compare_command(out, field(applied, "Cmd"), field(desired, "Cmd"));
  compare_env(out, field(applied, "Env"), field(desired, "Env"));
  json old_labels = field(applied, "Labels"), new_labels = field(desired, "Labels");
  for (auto* l : {&old_labels, &new_labels})
    if (l->is_object())
      for (const char* k : {labels::kSpecHash, labels::kSpecParts, labels::kAppliedSpec}) l->erase(k);
  compare_map(out, "label ", old_labels, new_labels);
  auto ports = [](const json& bindings) {
    json m = json::object();
    if (bindings.is_object())
      for (const auto& [port, list] : bindings.items()) {
        std::string where;
        for (const auto& b : list) where += (where.empty() ? "" : ", ") + b.value("HostIp", "") + ":" + b.value("HostPort", "");
        m[port] = where;
      }
    return m;
  };
  compare_map(out, "port ", ports(field(oh, "PortBindings")), ports(field(nh, "PortBindings")));
  compare(out, "network", field(oh, "NetworkMode"), field(nh, "NetworkMode"));
  compare(out, "network aliases", field(applied, "NetworkingConfig"), field(desired, "NetworkingConfig"));
  compare(out, "extra hosts", field(oh, "ExtraHosts"), field(nh, "ExtraHosts"));
  compare_mounts(out, field(oh, "Mounts"), field(nh, "Mounts"));
  compare(out, "binds", field(oh, "Binds"), field(nh, "Binds"));
  if (field(oh, "Memory") != field(nh, "Memory"))
    out.push_back({"memory limit", bytes(field(oh, "Memory")), bytes(field(nh, "Memory"))});
  if (field(oh, "NanoCpus") != field(nh, "NanoCpus"))
    out.push_back({"cpus", cpus(field(oh, "NanoCpus")), cpus(field(nh, "NanoCpus"))});
  compare(out, "restart", field(field(oh, "RestartPolicy"), "Name"), field(field(nh, "RestartPolicy"), "Name"));
  compare(out, "healthcheck", field(applied, "Healthcheck"), field(desired, "Healthcheck"));
  if (const auto o = gpus(field(oh, "DeviceRequests")), n = gpus(field(nh, "DeviceRequests")); o != n)
    out.push_back({"gpus", o, n});
  if (const auto o = capabilities(field(oh, "CapAdd")), n = capabilities(field(nh, "CapAdd")); o != n)
    out.push_back({"capabilities added", o, n});
  // Whatever else a component sets (pid mode, devices, capabilities, ...),
  // by its Docker name, so nothing that changes is left unsaid.
  static const std::set<std::string> said = {"PortBindings", "NetworkMode", "ExtraHosts",    "Mounts",
                                             "Binds",        "Memory",      "NanoCpus",      "RestartPolicy",
                                             "DeviceRequests", "CapAdd"};
  json other_old = json::object(), other_new = json::object();
  if (oh.is_object())
    for (const auto& [k, v] : oh.items())
      if (!said.count(k)) other_old[k] = v;
  if (nh.is_object())
    for (const auto& [k, v] : nh.items())
      if (!said.count(k)) other_new[k] = v;
  compare_map(out, "HostConfig.", other_old, other_new);
  static const std::set<std::string> said_top = {"Image", "Entrypoint", "Cmd", "Env", "Labels", "HostConfig",
                                                 "NetworkingConfig", "Healthcheck", "ExposedPorts"};
  json top_old = json::object(), top_new = json::object();
  if (applied.is_object())
    for (const auto& [k, v] : applied.items())
      if (!said_top.count(k)) top_old[k] = v;
  if (desired.is_object())
    for (const auto& [k, v] : desired.items())
      if (!said_top.count(k)) top_new[k] = v;
  compare_map(out, "", top_old, top_new);
  return out;
}

}  // namespace stackd::containers
