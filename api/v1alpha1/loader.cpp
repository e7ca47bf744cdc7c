#include "api/v1alpha1/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <glob.h>
#include <sys/stat.h>
#include <map>
#include <set>

#include "api/v1alpha1/alert_placeholders.hpp"
#include "api/v1alpha1/alertmanager_section.hpp"
#include "api/v1alpha1/component_kind.hpp"
#include "api/v1alpha1/dashboard_file.hpp"
#include "api/v1alpha1/field_syntax.hpp"
#include "api/v1alpha1/gpu_section.hpp"
#include "api/v1alpha1/units.hpp"
#include "api/v1alpha1/yaml_document.hpp"
#include "common/sha256.hpp"

namespace stackd::manifest {

namespace fs = std::filesystem;

namespace {

constexpr const char* kApiVersion = "stackd.dev/v1alpha1";
constexpr const char* kKind = "MonitoringStack";

using std::chrono::hours;
using Millis = std::chrono::milliseconds;
// Bounds of duration fields: long enough for anyone, short enough that every
// conversion downstream (Docker's nanoseconds, Prometheus' flags) fits.
constexpr Millis kMaxInterval = hours(24);
constexpr Millis kMaxRetention = hours(24 * 365 * 100);

// Typed scalars must be plain (unquoted, untagged) or carry their own core
// tag: `port: !!str 9090` and `port: "9090"` are strings, not ports.
bool plain_or_tagged(const YAML::Node& n, const char* core_tag) {
  return n.Tag() == "?" || n.Tag() == std::string("tag:yaml.org,2002:") + core_tag;
}

// Walks the YAML tree against the schema, recording every problem with its
// position instead of stopping at the first.
class SchemaReader {
 public:
  SchemaReader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  void error(const YAML::Mark& m, const std::string& message) {
    diags_.add(file_, m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1, message);
  }
  void error(const YAML::Node& n, const std::string& message) { error(n.Mark(), message); }

  // Reports keys outside `allowed`; returns false when n is not a mapping.
  bool mapping(const YAML::Node& n, const std::string& where, std::initializer_list<const char*> allowed) {
    if (!n.IsMap()) {
      error(n, where + " must be a mapping");
      return false;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      auto key = it->first.Scalar();
      bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
      if (!known) {
        std::string hint;
        for (const char* a : allowed)
          if (close_enough(key, a)) hint = " (did you mean '" + std::string(a) + "'?)";
        error(it->first.Mark(), "unknown field '" + shown(key) + "' in " + where + hint);
      }
    }
    return true;
  }

  bool is_string(const YAML::Node& n) { return n.IsScalar(); }

  std::optional<std::string> string(const YAML::Node& parent, const char* key, const std::string& where,
                                    std::size_t max_length = kMaxPath) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    if (!n.IsScalar() || n.IsNull()) {
      error(n, where + "." + key + " must be a string");
      return std::nullopt;
    }
    if (n.Scalar().size() > max_length) {
      error(n, where + "." + key + " is longer than " + std::to_string(max_length) + " characters");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<bool> boolean(const YAML::Node& parent, const char* key, const std::string& where) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    bool v;
    if (!n.IsScalar() || !plain_or_tagged(n, "bool") || !YAML::convert<bool>::decode(n, v)) {
      error(n, where + "." + key + " must be true or false");
      return std::nullopt;
    }
    return v;
  }

  std::optional<long long> integer(const YAML::Node& parent, const char* key, const std::string& where, long long lo,
                                   long long hi) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    long long v;
    if (!n.IsScalar() || !plain_or_tagged(n, "int") || !YAML::convert<long long>::decode(n, v)) {
      error(n, where + "." + key + " must be an integer");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(n, where + "." + key + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> number(const YAML::Node& parent, const char* key, const std::string& where) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    double v;
    if (!n.IsScalar() || (!plain_or_tagged(n, "float") && !plain_or_tagged(n, "int")) ||
        !YAML::convert<double>::decode(n, v) || !(v > 0) || v > 1024) {
      error(n, where + "." + key + " must be a positive number");
      return std::nullopt;
    }
    return v;
  }

  std::optional<Millis> duration(const YAML::Node& parent, const char* key, const std::string& where,
                                 Millis max = kMaxInterval, const char* max_text = "24h") {
    auto s = string(parent, key, where, 64);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d || d->count() <= 0) {
      error(parent[key], where + "." + key + ": invalid duration '" + shown(*s) + "' (e.g. 15s, 5m, 15d)");
      return std::nullopt;
    }
    if (*d > max) {
      error(parent[key], where + "." + key + ": duration '" + shown(*s) + "' is out of range (at most " + max_text + ")");
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::uint64_t> size(const YAML::Node& parent, const char* key, const std::string& where) {
    auto s = string(parent, key, where, 64);
    if (!s) return std::nullopt;
    auto v = parse_size(*s);
    if (!v || *v == 0) {
      error(parent[key], where + "." + key + ": invalid size '" + shown(*s) +
                             "' (e.g. 512MiB, 20GB; a number, at most one '.', a unit; at most 1 EiB)");
      return std::nullopt;
    }
    return v;
  }

  std::vector<std::string> string_list(const YAML::Node& parent, const char* key, const std::string& where) {
    std::vector<std::string> out;
    auto n = parent[key];
    if (!n) return out;
    if (!n.IsSequence()) {
      error(n, where + "." + key + " must be a list of strings");
      return out;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) error(item, where + "." + key + " entries must be strings");
      else out.push_back(item.Scalar());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(const YAML::Node& parent, const char* key, const std::string& where) {
    std::map<std::string, std::string> out;
    auto n = parent[key];
    if (!n) return out;
    if (!n.IsMap()) {
      error(n, where + "." + key + " must be a mapping of strings");
      return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->second.IsScalar()) error(it->second, where + "." + key + "." + shown(it->first.Scalar()) + " must be a string");
      else out[it->first.Scalar()] = it->second.Scalar();
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  static bool close_enough(const std::string& a, const std::string& b) {
    // Case-insensitive equality or one edit apart: catches `retension`, `Port`.
    if (a.size() + 1 < b.size() || b.size() + 1 < a.size()) return false;
    std::string la = a, lb = b;
    std::transform(la.begin(), la.end(), la.begin(), ::tolower);
    std::transform(lb.begin(), lb.end(), lb.begin(), ::tolower);
    if (la == lb) return true;
    std::vector<std::vector<int>> d(la.size() + 1, std::vector<int>(lb.size() + 1));
    for (std::size_t i = 0; i <= la.size(); ++i) d[i][0] = static_cast<int>(i);
    for (std::size_t j = 0; j <= lb.size(); ++j) d[0][j] = static_cast<int>(j);
    for (std::size_t i = 1; i <= la.size(); ++i)
      for (std::size_t j = 1; j <= lb.size(); ++j)
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (la[i - 1] != lb[j - 1])});
    return d[la.size()][lb.size()] <= 2 && la.size() > 3;
  }

  std::string file_;
  Diagnostics& diags_;
};

#define COMPONENT_FIELDS \
  "enabled", "image", "args", "env", "volumes", "memoryLimit", "cpus", "restart", "healthcheck", "labels", "listen", "port"

// Reads at most `limit` bytes; nullopt when unreadable or longer (sizes from
// stat lie for /proc files and for files that grow while being read).
std::optional<std::string> read_bounded(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > limit) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return out;
}

// Reads referenced files relative to the manifest, bounded.
class FileResolver {
 public:
  FileResolver(std::string base_dir, SchemaReader& r, const LoadOptions& o) : base_(std::move(base_dir)), r_(r), o_(o) {}

  std::optional<FileRef> read(const std::string& rel, const YAML::Node& at, const std::string& what) {
    fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(base_) / rel;
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      // Named as the user wrote it: every message names files relative to the manifest.
      r_.error(at, what + ": file '" + shown(rel) + "' does not exist" +
                       (fs::path(rel).is_absolute() ? "" : " (relative to the manifest's directory)"));
      return std::nullopt;
    }
    if (!fs::is_regular_file(p, ec)) {
      r_.error(at, what + ": '" + rel + "' is not a regular file");
      return std::nullopt;
    }
    auto size = fs::file_size(p, ec);
    if (ec || size > o_.max_file_size) {
      r_.error(at, what + ": '" + rel + "' is larger than " + std::to_string(o_.max_file_size) + " bytes");
      return std::nullopt;
    }
    if (++count_ > o_.max_files) {
      r_.error(at, what + ": more than " + std::to_string(o_.max_files) + " referenced files");
      return std::nullopt;
    }
    // Referenced files stay inside the manifest's directory: a manifest
    // pulled from git must not hand host files (say /proc/self/environ) to
    // containers. Symlinks are resolved first, so ConfigMap-style trees work.
    auto canonical = fs::weakly_canonical(p, ec).string();
    auto base = fs::weakly_canonical(base_, ec).string();
    if (canonical.compare(0, base.size() + 1, base + "/") != 0) {
      r_.error(at, what + ": '" + rel + "' is outside the manifest's directory " + base);
      return std::nullopt;
    }
    // Read what was checked, not the path again: a symlink swapped in
    // between must not point the read elsewhere.
    auto content = read_bounded(canonical, o_.max_file_size);
    if (!content) {
      r_.error(at, what + ": cannot read '" + rel + "' (or it is larger than " + std::to_string(o_.max_file_size) +
                       " bytes)");
      return std::nullopt;
    }
    return FileRef{canonical, fs::path(rel).lexically_normal().string(), std::move(*content)};
  }

  // A path or glob; no match is an error (a typo should not silently mean
  // "no rules").
  std::vector<FileRef> read_glob(const std::string& pattern, const YAML::Node& at, const std::string& what) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
      auto f = read(pattern, at, what);
      return f ? std::vector<FileRef>{*f} : std::vector<FileRef>{};
    }
    fs::path full = fs::path(pattern).is_absolute() ? fs::path(pattern) : fs::path(base_) / pattern;
    glob_t g{};
    int rc = ::glob(full.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    std::sort(matches.begin(), matches.end());
    if (matches.empty()) {
      r_.error(at, what + ": '" + shown(pattern) + "' matches no file");
      return {};
    }
    std::vector<FileRef> out;
    for (const auto& m : matches) {
      // Lexically: the name of what matched (a symlink is named, not its target).
      auto rel = fs::path(m).lexically_relative(base_).string();
      if (auto f = read(rel, at, what)) out.push_back(std::move(*f));
    }
    return out;
  }

 private:
  std::string base_;
  SchemaReader& r_;
  const LoadOptions& o_;
  std::size_t count_ = 0;
};

// A host directory a component keeps its data in: absolute, and where
// stackd can see it (on the host), a directory the component's user can
// write. In its own image (STACKD_CONTAINER, set by the Dockerfile) stackd
// sees its own filesystem, not the host's: only the form is checked, and a
// missing directory is the engine's to report when it creates the container.
std::optional<std::string> data_path_problem(const std::string& path, const ComponentSchema& schema) {
  const fs::path p(path);
  if (!p.is_absolute() || path.find("..") != std::string::npos)
    return "'" + shown(path) + "' must be an absolute path to a host directory";
  const std::string fix_owner = "sudo chown -R " + std::to_string(schema.data_uid) + ":" +
                                std::to_string(schema.data_gid) + " " + path;
  if (const char* c = std::getenv("STACKD_CONTAINER"); c && *c) return std::nullopt;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return "'" + path + "' does not exist: create it for " + std::string(schema.name) + " (uid " +
           std::to_string(schema.data_uid) + "): sudo mkdir -p " + path + " && " + fix_owner;
  }
  if (!S_ISDIR(st.st_mode)) return "'" + path + "' is not a directory";
  const bool writable = (st.st_uid == schema.data_uid && (st.st_mode & S_IWUSR)) ||
                        (st.st_gid == schema.data_gid && (st.st_mode & S_IWGRP)) || (st.st_mode & S_IWOTH);
  if (!writable)
    return "'" + path + "' is owned by uid " + std::to_string(st.st_uid) + " and " + std::string(schema.name) +
           " runs as uid " + std::to_string(schema.data_uid) + ", which cannot write there: " + fix_owner;
  return std::nullopt;
}

void read_listen(SchemaReader& r, const YAML::Node& n, const std::string& where, std::string& listen) {
  if (auto v = r.string(n, "listen", where, 64)) {
    if (!is_ip_literal(*v))
      r.error(n["listen"], where + ".listen: '" + shown(*v) +
                               "' is not an IP address (an IPv4 or IPv6 literal like 127.0.0.1, 0.0.0.0 or ::1)");
    else listen = *v;
  }
}

// Grafana's image entrypoint (packaging/docker/run.sh) exits 1 when both GF_X
// and GF_X__FILE are set, so a GF_X in spec.grafana.env next to a __FILE
// variable stackd sets itself would crash-loop the container; and the admin
// password belongs in spec.grafana.admin, never in env (docker inspect shows env).
void reject_grafana_env_conflicts(SchemaReader& r, const YAML::Node& g, const std::string& where) {
  auto env = g["env"];
  if (!env || !env.IsMap()) return;
  static const char* const kSetByStackdAsFile[] = {"GF_SECURITY_ADMIN_PASSWORD"};
  for (auto it = env.begin(); it != env.end(); ++it) {
    const std::string key = it->first.Scalar();
    for (const char* own : kSetByStackdAsFile) {
      if (key == own)
        r.error(it->first.Mark(), where + ".env: " + key + " is not allowed: stackd delivers the admin password as " +
                                      key + "__FILE (set it with " + where + ".admin.passwordFile or passwordEnv)");
      else if (key == std::string(own) + "__FILE")
        r.error(it->first.Mark(), where + ".env: " + key + " is set by stackd (use " + where + ".admin.passwordFile)");
    }
    // A user's own GF_X__FILE next to GF_X: the entrypoint refuses both.
    const std::string suffix = "__FILE";
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string plain = key.substr(0, key.size() - suffix.size());
      if (plain != "GF_SECURITY_ADMIN_PASSWORD" && env[plain])
        r.error(it->first.Mark(), where + ".env: " + plain + " and " + key +
                                      " are both set; Grafana's entrypoint refuses to start with both");
    }
  }
}

void read_component(SchemaReader& r, const YAML::Node& n, const std::string& where, Component& c) {
  if (auto v = r.boolean(n, "enabled", where)) c.enabled = *v;
  if (auto v = r.string(n, "image", where, kMaxImageReference)) {
    if (!is_image_reference(*v)) r.error(n["image"], where + ".image: invalid image reference '" + shown(*v) + "'");
    else c.image = *v;
  }
  c.args = r.string_list(n, "args", where);
  c.env = r.string_map(n, "env", where);
  for (const auto& [k, _] : c.env)
    if (!is_env_name(k)) r.error(n["env"], where + ".env: invalid variable name '" + shown(k) + "'");
  if (auto vols = n["volumes"]) {
    if (!vols.IsSequence()) r.error(vols, where + ".volumes must be a list of 'name:/path[:ro]'");
    else
      for (const auto& v : vols) {
        std::string s = v.IsScalar() ? v.Scalar() : "";
        auto mount = parse_volume_spec(s);
        if (!mount) {
          r.error(v, where + ".volumes: '" + shown(s) +
                         "' must be 'volume-name:/container/path[:ro]' (named volumes only: host paths do not "
                         "work when stackd runs in a container)");
          continue;
        }
        c.volumes.push_back(std::move(*mount));
      }
  }
  if (auto v = r.size(n, "memoryLimit", where)) c.memory_limit = v;
  if (auto v = r.number(n, "cpus", where)) c.cpus = v;
  if (auto v = r.string(n, "restart", where, 64)) {
    if (*v != "no" && *v != "always" && *v != "unless-stopped" && *v != "on-failure")
      r.error(n["restart"], where + ".restart must be one of no, always, unless-stopped, on-failure");
    else c.restart = *v;
  }
  if (auto hc = n["healthcheck"]) {
    std::string w = where + ".healthcheck";
    if (r.mapping(hc, w, {"test", "interval", "timeout", "startPeriod", "retries"})) {
      Healthcheck h;
      auto t = hc["test"];
      if (!t) r.error(hc, w + ".test is required");
      else if (t.IsScalar()) h.test = {"CMD-SHELL", t.Scalar()};
      else {
        h.test = r.string_list(hc, "test", w);
        if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE")
          h.test.insert(h.test.begin(), "CMD");
      }
      if (auto d = r.duration(hc, "interval", w)) h.interval = *d;
      if (auto d = r.duration(hc, "timeout", w)) h.timeout = *d;
      if (auto d = r.duration(hc, "startPeriod", w)) h.start_period = *d;
      if (auto v = r.integer(hc, "retries", w, 0, 100)) h.retries = static_cast<int>(*v);
      c.healthcheck = h;
    }
  }
  c.labels = r.string_map(n, "labels", where);
  for (const auto& [k, _] : c.labels) {
    if (k.rfind("dev.stackd.", 0) == 0) r.error(n["labels"], where + ".labels: '" + shown(k) + "' is reserved for stackd");
    else if (k.empty() || k.size() > 256) r.error(n["labels"], where + ".labels: a label key must have 1 to 256 characters");
  }
  read_listen(r, n, where, c.listen);
  if (auto v = r.integer(n, "port", where, 1, 65535)) c.port = static_cast<std::uint16_t>(*v);
  if (auto v = r.string(n, "dataPath", where)) {
    for (const auto& schema : component_schemas())
      if (schema.section == where) {
        if (auto problem = data_path_problem(*v, schema)) r.error(n["dataPath"], where + ".dataPath: " + *problem);
        else c.data_path = fs::path(*v).lexically_normal().string();
      }
  }
}

// spec[a][b] without creating nodes or throwing on missing ones.
YAML::Node child(const YAML::Node& n, const char* a, const char* b = nullptr, const char* c = nullptr) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node x = n[a];
  if (!b) return x;
  return child(x, b, c);
}

// The `port` node of a section named "spec.a" or "spec.a.b", or an
// undefined node. (Only through child(): assigning a yaml-cpp Node would
// rewrite the tree it points into.)
YAML::Node port_node(const YAML::Node& spec, std::string_view section) {
  const std::string rest(section.substr(section.find('.') + 1));
  const auto dot = rest.find('.');
  if (dot == std::string::npos) return child(spec, rest.c_str(), "port");
  const std::string outer = rest.substr(0, dot), inner = rest.substr(dot + 1);
  return child(spec, outer.c_str(), inner.c_str(), "port");
}

void check_duplicate_ports(const Manifest& m, const YAML::Node& spec, SchemaReader& r) {
  struct Use {
    std::string who;
    std::string listen;
    std::uint16_t port;
    YAML::Node at;
  };
  std::vector<Use> uses;
  for (const auto& schema : component_schemas()) {
    const auto& c = component_of(m, schema.kind);
    // Named as in the manifest, without "spec.": nodeExporter, ollama.exporter.
    if (c.enabled && c.port)
      uses.push_back({std::string(schema.section.substr(5)), c.listen, c.port, port_node(spec, schema.section)});
  }
  uses.push_back({"stackd", m.controller.listen, m.controller.port, child(spec, "stackd", "port")});
  auto overlaps = [](const std::string& a, const std::string& b) {
    return a == b || a == "0.0.0.0" || b == "0.0.0.0" || a == "::" || b == "::";
  };
  for (std::size_t i = 0; i < uses.size(); ++i)
    for (std::size_t j = i + 1; j < uses.size(); ++j)
      if (uses[i].port == uses[j].port && overlaps(uses[i].listen, uses[j].listen)) {
        // Point at the one the user wrote (a default port has no position).
        bool j_later = uses[j].at.IsDefined() &&
                       (!uses[i].at.IsDefined() || uses[j].at.Mark().line > uses[i].at.Mark().line);
        auto& later = j_later ? uses[j] : uses[i];
        auto& other = &later == &uses[j] ? uses[i] : uses[j];
        r.error(later.at.IsDefined() ? later.at.Mark() : spec.Mark(),
                "port " + std::to_string(later.port) + " of " + later.who + " is already used by " + other.who);
      }
}

struct ExtraScrapeConfigs {
  YAML::Node list;
  std::string file;  // relative to the manifest
};

// The user's own scrape configs, each where it is in their file: a mapping
// with a job_name of its own, not one of the jobs stackd generates for this
// stack (Prometheus would refuse the duplicate at every reload).
void check_extra_scrape_configs(const ExtraScrapeConfigs& extra, const Manifest& m, Diagnostics& diags) {
  std::set<std::string> generated = {"stackd"};
  if (m.prometheus.enabled) generated.insert("prometheus");
  if (m.node_exporter.enabled) generated.insert("node-exporter");
  if (m.ollama.exporter.enabled) generated.insert("ollama-exporter");
  if (m.alertmanager.enabled) generated.insert("alertmanager");
  if (m.gpu.enabled) generated.insert("gpu-exporter");
  std::set<std::string> seen;
  auto at = [&](const YAML::Node& n, const std::string& message) {
    auto mk = n.Mark();
    diags.add(extra.file, mk.is_null() ? 1 : mk.line + 1, mk.is_null() ? 1 : mk.column + 1, message);
  };
  for (const auto& item : extra.list) {
    if (!item.IsMap()) {
      at(item, "a scrape config must be a mapping with a job_name");
      continue;
    }
    const YAML::Node job = item["job_name"];
    if (!job || !job.IsScalar() || job.Scalar().empty()) {
      at(item, "this scrape config has no job_name");
      continue;
    }
    const std::string& name = job.Scalar();
    if (generated.count(name))
      at(job, "job_name \"" + shown(name) + "\" is generated by stackd; pick another name for your scrape config");
    else if (!seen.insert(name).second)
      at(job, "job_name \"" + shown(name) + "\" is used twice");
  }
}

// The exporter proxies to Ollama: on Ollama's own port (on this machine) one
// of the two cannot listen.
void check_exporter_port_against_ollama(const Manifest& m, const YAML::Node& spec, SchemaReader& r) {
  if (!m.ollama.declared || !m.ollama.exporter.enabled || !m.ollama.exporter.port) return;
  auto ollama = url_host_port(m.ollama.url);
  if (ollama.port != m.ollama.exporter.port || !is_local_host(ollama.host)) return;
  auto at = child(spec, "ollama", "exporter", "port");
  if (!at.IsDefined()) at = child(spec, "ollama", "url");
  r.error(at.IsDefined() ? at.Mark() : spec.Mark(),
          "spec.ollama.exporter.port " + std::to_string(m.ollama.exporter.port) +
              " is Ollama's own port (spec.ollama.url " + m.ollama.url +
              "): the exporter proxies to Ollama and cannot listen where Ollama does; give the exporter another "
              "port and point clients at it");
}

// Puts every ${VAR} value into the scalar that holds it. Keys are never
// interpolated: a variable there is an error.
void expand_variables(YAML::Node node, const MaskedText& masked, const EnvLookup& env, const std::string& file,
                      std::size_t max_scalar, Diagnostics& diags) {
  auto at = [&](const YAML::Node& n, const std::string& message) {
    auto m = n.Mark();
    diags.add(file, m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1, message);
  };
  if (node.IsScalar()) {
    if (!needs_expansion(node.Scalar())) return;
    auto value = expand_scalar(node.Scalar(), masked, env, file, diags);
    if (value.size() > max_scalar)
      at(node, "value after ${...} interpolation is " + std::to_string(value.size()) + " bytes, over the limit of " +
                   std::to_string(max_scalar));
    else if (value.find('\0') != std::string::npos)
      at(node, "value after ${...} interpolation contains a NUL character");
    node = value;  // keeps the node's mark and tag
  } else if (node.IsSequence()) {
    for (auto item : node) expand_variables(item, masked, env, file, max_scalar, diags);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && contains_variable(it->first.Scalar()))
        at(it->first, "${...} cannot be used in a key");
      expand_variables(it->second, masked, env, file, max_scalar, diags);
    }
  }
}

Manifest parse(const std::string& raw_text, const std::string& path, const LoadOptions& opts) {
  Diagnostics diags;
  // Variables are masked before parsing and expanded into scalars after, so
  // no value can change the document's structure (interpolate.hpp).
  auto masked = mask_variables(raw_text, path, diags);
  auto parsed = parse_yaml_document(masked.text, path, YamlLimits{}, diags);
  if (!parsed) {
    if (masked.text != raw_text) diags.show_lines_of(raw_text);
    throw ManifestError(diags);
  }
  const auto before_expansion = diags.items().size();
  expand_variables(*parsed, masked, opts.env, path, YamlLimits{}.max_scalar_bytes, diags);
  // A value whose ${...} could not be expanded is not known: judging it would
  // report a consequence (an "invalid image reference" holding the raw
  // ${...}) before, or instead of, the cause.
  if (diags.items().size() != before_expansion) {
    if (masked.text != raw_text) diags.show_lines_of(raw_text);
    throw ManifestError(diags);
  }
  SchemaReader r(path, diags);
  const YAML::Node root = *parsed;  // const access never inserts nodes

  Manifest m;
  std::optional<ExtraScrapeConfigs> extra_scrape_configs;  // checked once every component is known
  m.path = fs::absolute(path).lexically_normal().string();
  m.base_dir = fs::path(m.path).parent_path().string();
  FileResolver files(m.base_dir, r, opts);

  if (!root || root.IsNull()) {
    if (diags.empty()) diags.add(path, 1, 1, "the manifest is empty");
    throw ManifestError(diags);
  }
  if (!r.mapping(root, "the manifest", {"apiVersion", "kind", "metadata", "spec"})) throw ManifestError(diags);

  if (auto v = r.string(root, "apiVersion", "")) {
    m.api_version = *v;
    if (*v != kApiVersion) r.error(root["apiVersion"], "apiVersion must be " + std::string(kApiVersion));
  } else {
    r.error(root, "apiVersion is required (" + std::string(kApiVersion) + ")");
  }
  if (auto v = r.string(root, "kind", "")) {
    m.kind = *v;
    if (*v != kKind) r.error(root["kind"], "kind must be " + std::string(kKind));
  } else {
    r.error(root, "kind is required (" + std::string(kKind) + ")");
  }

  const YAML::Node meta = root["metadata"];
  if (!meta) r.error(root, "metadata.name is required");
  else if (r.mapping(meta, "metadata", {"name"})) {
    if (auto v = r.string(meta, "name", "metadata")) {
      if (!is_stack_name(*v))
        r.error(meta["name"], "metadata.name must be lowercase letters, digits and '-', at most 40 characters");
      else m.name = *v;
    } else {
      r.error(meta, "metadata.name is required");
    }
  }

  const YAML::Node spec = root["spec"];
  if (!spec) {
    r.error(root, "spec is required");
    throw ManifestError(diags);
  }
  if (!r.mapping(spec, "spec", {"network", "allowEmpty", "prometheus", "grafana", "nodeExporter", "ollama", "stackd", "alertmanager", "alerts", "gpu"}))
    throw ManifestError(diags);

  m.network = m.name.empty() ? "" : m.name;
  if (auto v = r.string(spec, "network", "spec")) {
    if (!is_network_name(*v)) r.error(spec["network"], "spec.network: invalid network name '" + shown(*v) + "'");
    else m.network = *v;
  }
  if (auto v = r.boolean(spec, "allowEmpty", "spec")) m.allow_empty = *v;

  // Defaults first, then what the manifest says.
  for (const auto& schema : component_schemas()) {
    auto& c = component_of(m, schema.kind);
    c.image = std::string(schema.default_image);
    c.port = schema.default_port;
  }
  m.ollama.enabled = false;

  if (auto p = spec["prometheus"]) {
    const std::string w = "spec.prometheus";
    if (r.mapping(p, w, {COMPONENT_FIELDS, "dataPath", "retention", "retentionSize", "scrapeInterval",
                         "evaluationInterval", "rules", "extraScrapeConfigs", "externalLabels"})) {
      read_component(r, p, w, m.prometheus);
      m.prometheus.external_labels = r.string_map(p, "externalLabels", w);
      for (const auto& [k, v] : m.prometheus.external_labels) {
        if (!is_label_name(k) || k.rfind("__", 0) == 0)
          r.error(p["externalLabels"], w + ".externalLabels: '" + shown(k) +
                                           "' is not a Prometheus label name (letters, digits and '_', not starting "
                                           "with a digit or '__')");
        else if (v.empty() || v.size() > 256)
          r.error(p["externalLabels"], w + ".externalLabels." + k + " must have 1 to 256 characters");
      }
      if (auto d = r.duration(p, "retention", w, kMaxRetention, "100y")) m.prometheus.retention = std::chrono::duration_cast<Seconds>(*d);
      if (auto s = r.size(p, "retentionSize", w)) m.prometheus.retention_size = s;
      if (auto d = r.duration(p, "scrapeInterval", w)) {
        m.prometheus.scrape_interval = std::chrono::duration_cast<Seconds>(*d);
        if (m.prometheus.scrape_interval.count() < 1) r.error(p["scrapeInterval"], w + ".scrapeInterval must be at least 1s");
      }
      m.prometheus.evaluation_interval = m.prometheus.scrape_interval;
      if (auto d = r.duration(p, "evaluationInterval", w)) m.prometheus.evaluation_interval = std::chrono::duration_cast<Seconds>(*d);
      if (auto rules = p["rules"]) {
        if (!rules.IsSequence()) r.error(rules, w + ".rules must be a list of paths or globs");
        else
          for (const auto& item : rules) {
            if (!item.IsScalar()) {
              r.error(item, w + ".rules entries must be strings");
              continue;
            }
            if (item.Scalar().size() > kMaxPath) {
              r.error(item, w + ".rules: a path is longer than " + std::to_string(kMaxPath) + " characters");
              continue;
            }
            m.prometheus.rule_patterns.push_back(item.Scalar());
            for (auto& f : files.read_glob(item.Scalar(), item, w + ".rules")) {
              if (auto doc = parse_yaml_document(f.content, f.relative, referenced_file_limits(), diags)) {
                const YAML::Node& d = *doc;
                if (d && !d.IsNull() && (!d.IsMap() || !d["groups"]))
                  r.error(item, w + ".rules: " + shown(f.relative) + " is not a Prometheus rule file (no 'groups')");
              }
              check_alert_placeholders(f.content, f.relative, diags);
              m.prometheus.rules.push_back(std::move(f));
            }
          }
      }
      if (auto v = r.string(p, "extraScrapeConfigs", w)) {
        if (auto f = files.read(*v, p["extraScrapeConfigs"], w + ".extraScrapeConfigs")) {
          if (auto doc = parse_yaml_document(f->content, f->relative, referenced_file_limits(), diags)) {
            const YAML::Node& d = *doc;
            if (d && !d.IsNull() && !d.IsSequence())
              r.error(p["extraScrapeConfigs"], w + ".extraScrapeConfigs: " + shown(f->relative) +
                                                   " must be a YAML list of scrape_configs");
            else if (d && d.IsSequence())
              extra_scrape_configs = ExtraScrapeConfigs{*doc, f->relative};
          }
          m.prometheus.extra_scrape_configs = std::move(*f);
        }
      }
    }
  }

  if (auto g = spec["grafana"]) {
    const std::string w = "spec.grafana";
    if (r.mapping(g, w, {COMPONENT_FIELDS, "dataPath", "admin", "dashboards", "datasources", "resyncInterval",
                             "serviceAccountTokenFile", "url"})) {
      read_component(r, g, w, m.grafana);
      reject_grafana_env_conflicts(r, g, w);
      if (auto v = r.string(g, "url", w)) {
        // The HTTP client speaks plain http only (as for spec.ollama.url).
        if (url_problem(*v, {"http"})) r.error(g["url"], w + ".url must be an http:// URL");
        else m.grafana.url = *v;
      }
      if (auto t = r.string(g, "serviceAccountTokenFile", w)) {
        if (auto f = files.read(*t, g["serviceAccountTokenFile"], w + ".serviceAccountTokenFile")) {
          while (!f->content.empty() && (f->content.back() == '\n' || f->content.back() == '\r')) f->content.pop_back();
          if (f->content.empty())
            r.error(g["serviceAccountTokenFile"], w + ".serviceAccountTokenFile: " + *t + " is empty");
          m.grafana.service_account_token_file = std::move(*f);
        }
      }
      if (auto a = g["admin"]) {
        if (r.mapping(a, w + ".admin", {"user", "passwordFile", "passwordEnv"})) {
          if (auto v = r.string(a, "user", w + ".admin", 256)) m.grafana.admin_user = *v;
          auto file = r.string(a, "passwordFile", w + ".admin");
          auto env = r.string(a, "passwordEnv", w + ".admin");
          if (file && env) r.error(a, w + ".admin: give passwordFile or passwordEnv, not both");
          if (file) {
            if (auto f = files.read(*file, a["passwordFile"], w + ".admin.passwordFile")) {
              while (!f->content.empty() && (f->content.back() == '\n' || f->content.back() == '\r')) f->content.pop_back();
              if (f->content.empty()) r.error(a["passwordFile"], w + ".admin.passwordFile: " + *file + " is empty");
              m.grafana.admin_password_file = std::move(*f);
            }
          }
          if (env && !is_env_name(*env)) {
            r.error(a["passwordEnv"], w + ".admin.passwordEnv: invalid variable name '" + shown(*env) + "'");
          } else if (env) {
            // The variable's value is read when applying, not stored here, and never printed.
            if (!opts.env(*env)) r.error(a["passwordEnv"], w + ".admin.passwordEnv: environment variable " + *env + " is not set");
            m.grafana.admin_password_env = *env;
          }
        }
      }
      std::map<std::string, std::string> dashboard_uids;  // uid -> the file that has it, across all sources
      if (auto ds = g["dashboards"]) {
        if (!ds.IsSequence()) r.error(ds, w + ".dashboards must be a list of {path, folder}");
        else
          for (const auto& d : ds) {
            if (!r.mapping(d, w + ".dashboards[]", {"path", "folder"})) continue;
            DashboardSource src;
            if (auto v = r.string(d, "path", w + ".dashboards[]")) src.pattern = *v;
            else {
              r.error(d, w + ".dashboards[].path is required");
              continue;
            }
            if (auto v = r.string(d, "folder", w + ".dashboards[]")) src.folder = *v;
            src.files = files.read_glob(src.pattern, d["path"], w + ".dashboards");
            for (const auto& f : src.files) {
              auto doc = read_dashboard(f, diags);
              if (!doc) continue;
              if (auto [it, fresh] = dashboard_uids.emplace(doc->uid, f.relative); !fresh)
                diags.add(f.relative, 1, 1, "dashboard uid \"" + doc->uid + "\" is already used by " + it->second);
              src.documents.push_back(std::move(*doc));
            }
            m.grafana.dashboards.push_back(std::move(src));
          }
      }
      if (auto ds = g["datasources"]) {
        if (!ds.IsSequence()) r.error(ds, w + ".datasources must be a list");
        else
          for (const auto& d : ds) {
            const std::string dw = w + ".datasources[]";
            if (!r.mapping(d, dw, {"name", "type", "url", "uid", "access", "isDefault"})) continue;
            Datasource s;
            if (auto v = r.string(d, "name", dw, 190)) s.name = *v; else r.error(d, dw + ".name is required");
            if (auto v = r.string(d, "type", dw, 64)) s.type = *v; else r.error(d, dw + ".type is required");
            if (auto v = r.string(d, "url", dw, kMaxUrl)) {
              if (auto problem = url_problem(*v, {"http", "https"})) r.error(d["url"], dw + ".url " + *problem);
              else s.url = *v;
            }
            if (auto v = r.string(d, "uid", dw, 40)) {
              if (!is_grafana_uid(*v)) r.error(d["uid"], dw + ".uid must be letters, digits, '-' or '_', at most 40");
              else s.uid = *v;
            } else {
              r.error(d, dw + ".uid is required");
            }
            if (auto v = r.string(d, "access", dw, 16)) {
              if (*v != "proxy" && *v != "direct") r.error(d["access"], dw + ".access must be proxy or direct");
              else s.access = *v;
            }
            if (auto v = r.boolean(d, "isDefault", dw)) s.is_default = *v;
            m.grafana.datasources.push_back(std::move(s));
          }
      }
      if (auto d = r.duration(g, "resyncInterval", w)) m.grafana.resync_interval = std::chrono::duration_cast<Seconds>(*d);
    }
  } else {
    m.grafana.enabled = false;
  }
  if (!spec["prometheus"]) m.prometheus.enabled = false;

  if (auto n = spec["nodeExporter"]) {
    if (r.mapping(n, "spec.nodeExporter", {COMPONENT_FIELDS})) read_component(r, n, "spec.nodeExporter", m.node_exporter);
  } else {
    m.node_exporter.enabled = false;
  }

  if (auto o = spec["ollama"]) {
    const std::string w = "spec.ollama";
    m.ollama.declared = true;
    m.ollama.enabled = true;
    if (r.mapping(o, w, {"enabled", "url", "exporter"})) {
      if (auto v = r.boolean(o, "enabled", w)) m.ollama.enabled = *v;
      if (auto v = r.string(o, "url", w, kMaxUrl)) {
        if (auto problem = url_problem(*v, {"http"})) r.error(o["url"], w + ".url " + *problem);
        else m.ollama.url = *v;
      }
      if (auto e = o["exporter"]) {
        if (r.mapping(e, w + ".exporter", {COMPONENT_FIELDS})) read_component(r, e, w + ".exporter", m.ollama.exporter);
      }
    }
    m.ollama.exporter.enabled = m.ollama.enabled && m.ollama.exporter.enabled;
  } else {
    m.ollama.exporter.enabled = false;
  }

  if (auto s = spec["stackd"]) {
    if (r.mapping(s, "spec.stackd", {"enabled", "listen", "port"})) {
      if (auto v = r.boolean(s, "enabled", "spec.stackd")) m.controller.enabled = *v;
      read_listen(r, s, "spec.stackd", m.controller.listen);
      if (auto v = r.integer(s, "port", "spec.stackd", 1, 65535)) m.controller.port = static_cast<std::uint16_t>(*v);
    }
  }

  const SectionReader sections{path, diags, [&](auto& n, auto& w, Component& c) { read_component(r, n, w, c); },
                               [&](auto& rel, auto& at, auto& what) { return files.read(rel, at, what); }};
  read_alerting_sections(spec, sections, m);
  read_gpu_section(spec, sections, m);
  // The runbooks the shipped alerts link to are served by the daemon
  // (GET /runbooks): a link that opens, where spec.alerts.runbookUrl names no other.
  if (!m.alerts.runbook_url) {
    std::string host = m.controller.listen == "0.0.0.0" || m.controller.listen == "::" ? "127.0.0.1" : m.controller.listen;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    m.alerts.runbook_url = "http://" + host + ":" + std::to_string(m.controller.port) + "/runbooks";
  }

  if (extra_scrape_configs) check_extra_scrape_configs(*extra_scrape_configs, m, diags);
  check_duplicate_ports(m, spec, r);
  check_exporter_port_against_ollama(m, spec, r);
  if (opts.allow_empty) m.allow_empty = true;
  if (m.enabled_components() == 0 && !m.allow_empty)
    r.error(spec, "the manifest enables no component; refusing a stack that would remove everything (set "
                  "spec.allowEmpty: true to mean it)");

  if (!diags.empty()) throw ManifestError(diags);

  // Revision: the manifest text and every referenced file, by path.
  Sha256 rev;
  rev.update("manifest\0").update(raw_text).update("\n");
  auto refs = m.referenced_files();
  std::sort(refs.begin(), refs.end(), [](auto* a, auto* b) { return a->path < b->path; });
  for (const auto* f : refs) rev.update(f->relative).update(std::string_view("\0", 1)).update(sha256_hex(f->content)).update("\n");
  m.revision = rev.hex();
  return m;
}

}  // namespace

std::vector<const FileRef*> Manifest::referenced_files() const {
  std::vector<const FileRef*> out;
  for (const auto& f : prometheus.rules) out.push_back(&f);
  if (prometheus.extra_scrape_configs) out.push_back(&*prometheus.extra_scrape_configs);
  if (grafana.admin_password_file) out.push_back(&*grafana.admin_password_file);
  if (grafana.service_account_token_file) out.push_back(&*grafana.service_account_token_file);
  for (const auto& d : grafana.dashboards)
    for (const auto& f : d.files) out.push_back(&f);
  for (const auto* f : alertmanager_files(alertmanager)) out.push_back(f);
  return out;
}

std::vector<std::string> Manifest::file_globs() const {
  std::vector<std::string> patterns;
  for (const auto& p : prometheus.rule_patterns) patterns.push_back(p);
  for (const auto& d : grafana.dashboards) patterns.push_back(d.pattern);
  std::vector<std::string> out;
  for (const auto& p : patterns) {
    if (p.find_first_of("*?[") == std::string::npos) continue;  // a plain path is a referenced file
    out.push_back(fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).string());
  }
  return out;
}

int Manifest::enabled_components() const {
  int n = 0;
  for (const auto& schema : component_schemas()) n += component_of(*this, schema.kind).enabled;
  return n;
}

Manifest load_from_string(const std::string& text, const std::string& path, const LoadOptions& options) {
  return parse(text, path, options);
}

Manifest load(const std::string& path, const LoadOptions& options) {
  Diagnostics diags;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    diags.add(path, 0, 0, "manifest file does not exist");
    throw ManifestError(diags);
  }
  auto size = fs::file_size(path, ec);
  if (ec || size > options.max_file_size) {
    diags.add(path, 0, 0, "manifest is not a readable file under " + std::to_string(options.max_file_size) + " bytes");
    throw ManifestError(diags);
  }
  auto text = read_bounded(path, options.max_file_size);
  if (!text) {
    diags.add(path, 0, 0, "cannot read the manifest (or it is larger than " + std::to_string(options.max_file_size) +
                              " bytes)");
    throw ManifestError(diags);
  }
  return parse(*text, path, options);
}

}  // namespace stackd::manifest
