#include "api/v1alpha1/alertmanager_section.hpp"

#include "api/v1alpha1/yaml_document.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "api/v1alpha1/field_syntax.hpp"
#include "api/v1alpha1/units.hpp"

namespace stackd::manifest {
namespace {

using Seconds = std::chrono::seconds;

class Reader {
 public:
  explicit Reader(const SectionReader& r) : r_(r) {}

  void error(const YAML::Node& n, const std::string& message) {
    const auto m = n.Mark();
    r_.diags.add(r_.file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, message);
  }

  bool mapping(const YAML::Node& n, const std::string& where, std::initializer_list<const char*> allowed,
               std::initializer_list<const char*> also = {}) {
    if (!n.IsMap()) {
      error(n, where + " must be a mapping");
      return false;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const auto key = it->first.Scalar();
      auto is = [&](const char* a) { return key == a; };
      if (std::none_of(allowed.begin(), allowed.end(), is) && std::none_of(also.begin(), also.end(), is))
        error(it->first, "unknown field '" + shown(key) + "' in " + where);
    }
    return true;
  }

  std::optional<std::string> string(const YAML::Node& parent, const char* key, const std::string& where) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    if (!n.IsScalar() || n.IsNull() || n.Scalar().empty()) {
      error(n, where + "." + key + " must be a non-empty string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<Seconds> duration(const YAML::Node& parent, const char* key, const std::string& where) {
    auto s = string(parent, key, where);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d || d->count() <= 0 || *d % std::chrono::seconds(1) != std::chrono::milliseconds(0)) {
      error(parent[key], where + "." + key + ": invalid duration '" + shown(*s) + "' (whole seconds, e.g. 30s, 5m, 4h)");
      return std::nullopt;
    }
    return std::chrono::duration_cast<Seconds>(*d);
  }

  std::optional<bool> boolean(const YAML::Node& parent, const char* key, const std::string& where) {
    auto n = parent[key];
    if (!n) return std::nullopt;
    bool v;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      error(n, where + "." + key + " must be true or false");
      return std::nullopt;
    }
    return v;
  }

  // A secret file: its content, without a trailing newline, goes into the
  // container as a file; the config names the file.
  std::optional<FileRef> secret(const YAML::Node& parent, const char* key, const std::string& where) {
    auto rel = string(parent, key, where);
    if (!rel) return std::nullopt;
    auto f = r_.read_file(*rel, parent[key], where + "." + key);
    if (!f) return std::nullopt;
    while (!f->content.empty() && (f->content.back() == '\n' || f->content.back() == '\r')) f->content.pop_back();
    if (f->content.empty()) {
      error(parent[key], where + "." + key + ": " + shown(*rel) + " is empty");
      return std::nullopt;
    }
    return f;
  }

  const SectionReader& r_;
};

void read_route(Reader& r, const YAML::Node& n, AlertRoute& route) {
  const std::string w = "spec.alertmanager.route";
  if (!r.mapping(n, w, {"groupBy", "groupWait", "groupInterval", "repeatInterval"})) return;
  if (auto g = n["groupBy"]) {
    if (!g.IsSequence()) r.error(g, w + ".groupBy must be a list of label names");
    else {
      route.group_by.clear();
      for (const auto& item : g) {
        // "..." groups by every label (Alertmanager's own notation).
        if (!item.IsScalar() || !(item.Scalar() == "..." || is_label_name(item.Scalar())))
          r.error(item, w + ".groupBy: '" + (item.IsScalar() ? shown(item.Scalar()) : std::string("?")) + "' is not a label name");
        else route.group_by.push_back(item.Scalar());
      }
    }
  }
  if (auto d = r.duration(n, "groupWait", w)) route.group_wait = *d;
  if (auto d = r.duration(n, "groupInterval", w)) route.group_interval = *d;
  if (auto d = r.duration(n, "repeatInterval", w)) route.repeat_interval = *d;
}

// One receiver: a name and exactly one integration.
std::optional<Receiver> read_receiver(Reader& r, const YAML::Node& n, const std::string& w) {
  static const std::initializer_list<const char*> kinds = {"webhook", "email", "slack", "discord", "telegram", "msteams"};
  if (!r.mapping(n, w, {"name"}, kinds)) return std::nullopt;
  Receiver rc;
  auto name = r.string(n, "name", w);
  if (!name) {
    r.error(n, w + ".name is required");
    return std::nullopt;
  }
  if (!is_receiver_name(*name)) {
    r.error(n["name"], w + ".name '" + shown(*name) + "' must be letters, digits, '_', '.', '-' (at most 63)");
    return std::nullopt;
  }
  rc.name = *name;
  const std::string rw = "spec.alertmanager.receivers[" + rc.name + "]";
  int found = 0;
  for (const char* k : kinds) found += n[k] ? 1 : 0;
  if (found != 1) {
    r.error(n, rw + " needs exactly one of webhook, email, slack, discord, telegram, msteams");
    return std::nullopt;
  }
  auto set = [&](const YAML::Node& c, const char* key, const std::string& cw, const char* field, bool required) {
    if (auto v = r.string(c, key, cw)) rc.settings.emplace_back(field, *v);
    else if (required && !c[key]) r.error(c, cw + "." + key + " is required");
  };
  auto secret = [&](const YAML::Node& c, const char* key, const std::string& cw, const char* field, bool required) {
    if (auto f = r.secret(c, key, cw)) rc.secret_files.emplace_back(field, std::move(*f));
    else if (required && !c[key]) r.error(c, cw + "." + key + " is required");
  };
  if (auto c = n["webhook"]) {
    rc.kind = "webhook";
    const auto cw = rw + ".webhook";
    if (!r.mapping(c, cw, {"url", "urlFile"})) return std::nullopt;
    if (c["url"] && c["urlFile"]) r.error(c, cw + ": give url or urlFile, not both");
    else if (!c["url"] && !c["urlFile"]) r.error(c, cw + ": url or urlFile is required");
    if (auto v = r.string(c, "url", cw)) {
      if (auto problem = url_problem(*v, {"http", "https"}))
        r.error(c["url"], cw + ".url must be an http:// or https:// URL: it " + *problem);
      else rc.settings.emplace_back("url", *v);
    }
    secret(c, "urlFile", cw, "url_file", false);
  } else if (auto c = n["email"]) {
    rc.kind = "email";
    const auto cw = rw + ".email";
    if (!r.mapping(c, cw, {"to", "from", "smarthost", "username", "passwordFile", "requireTls", "hello"})) return std::nullopt;
    set(c, "to", cw, "to", true);
    set(c, "from", cw, "from", true);
    if (auto v = r.string(c, "smarthost", cw)) {
      if (!is_host_port(*v)) r.error(c["smarthost"], cw + ".smarthost must be host:port");
      else rc.settings.emplace_back("smarthost", *v);
    } else if (!c["smarthost"]) {
      r.error(c, cw + ".smarthost is required");
    }
    set(c, "hello", cw, "hello", false);
    set(c, "username", cw, "auth_username", false);
    secret(c, "passwordFile", cw, "auth_password_file", false);
    if (c["passwordFile"] && !c["username"]) r.error(c["passwordFile"], cw + ".passwordFile needs username");
    if (auto b = r.boolean(c, "requireTls", cw)) rc.settings.emplace_back("require_tls", *b ? "true" : "false");
  } else if (auto c = n["slack"]) {
    rc.kind = "slack";
    const auto cw = rw + ".slack";
    if (!r.mapping(c, cw, {"apiUrlFile", "channel"})) return std::nullopt;
    secret(c, "apiUrlFile", cw, "api_url_file", true);
    set(c, "channel", cw, "channel", false);
  } else if (auto c = n["discord"]) {
    rc.kind = "discord";
    const auto cw = rw + ".discord";
    if (!r.mapping(c, cw, {"webhookUrlFile"})) return std::nullopt;
    secret(c, "webhookUrlFile", cw, "webhook_url_file", true);
  } else if (auto c = n["telegram"]) {
    rc.kind = "telegram";
    const auto cw = rw + ".telegram";
    if (!r.mapping(c, cw, {"botTokenFile", "chatId"})) return std::nullopt;
    secret(c, "botTokenFile", cw, "bot_token_file", true);
    if (auto v = r.string(c, "chatId", cw)) {
      if (!is_chat_id(*v)) r.error(c["chatId"], cw + ".chatId must be a number");
      else rc.settings.emplace_back("chat_id", *v);
    } else if (!c["chatId"]) {
      r.error(c, cw + ".chatId is required");
    }
  } else if (auto c = n["msteams"]) {
    rc.kind = "msteams";
    const auto cw = rw + ".msteams";
    if (!r.mapping(c, cw, {"webhookUrlFile"})) return std::nullopt;
    secret(c, "webhookUrlFile", cw, "webhook_url_file", true);
  }
  return rc;
}

void read_routes(Reader& r, const YAML::Node& n, Alertmanager& am) {
  const std::string w = "spec.alertmanager.routes";
  if (!n.IsSequence()) {
    r.error(n, w + " must be a list of {matchers, receiver}");
    return;
  }
  if (n.size() > kMaxRoutes) {
    r.error(n, w + ": more than " + std::to_string(kMaxRoutes) + " routes");
    return;
  }
  for (const auto& item : n) {
    if (!r.mapping(item, w + "[]", {"matchers", "receiver"})) continue;
    ChildRoute route;
    if (auto rc = r.string(item, "receiver", w + "[]")) route.receiver = *rc;
    else if (!item["receiver"]) r.error(item, w + "[].receiver is required");
    auto ms = item["matchers"];
    if (!ms || !ms.IsSequence() || ms.size() == 0 || ms.size() > kMaxMatchers) {
      r.error(ms ? ms : YAML::Node(item), w + "[].matchers must be a list of 1 to " + std::to_string(kMaxMatchers) +
                                  " matchers like 'severity=\"critical\"'");
    } else {
      for (const auto& m : ms) {
        auto problem = m.IsScalar() ? matcher_problem(m.Scalar()) : std::optional<std::string>("it is not a string");
        if (problem)
          r.error(m, w + "[].matchers: '" + (m.IsScalar() ? shown(m.Scalar()) : std::string("?")) +
                         "' is not a matcher (label=\"value\", !=, =~ or !~): " + *problem);
        else route.matchers.push_back(m.Scalar());
      }
    }
    am.routes.push_back(std::move(route));
  }
}

void read_alertmanager(Reader& r, const YAML::Node& n, const SectionReader& shared, Alertmanager& am) {
  const std::string w = "spec.alertmanager";
  if (!r.mapping(n, w,
                 {"enabled", "image", "args", "env", "volumes", "memoryLimit", "cpus", "restart", "healthcheck",
                  "labels", "listen", "port", "dataPath"},
                 kAlertmanagerFields))
    return;
  shared.read_component(n, w, am);
  if (auto c = r.string(n, "configFile", w)) {
    if (n["route"] || n["receivers"] || n["routes"])
      r.error(n["configFile"], w + ".configFile replaces route, receivers and routes; give one or the other");
    if (auto f = shared.read_file(*c, n["configFile"], w + ".configFile")) {
      // Bounded and checked like every referenced YAML file; syntax errors
      // name the file as the manifest does.
      if (auto parsed = parse_yaml_document(f->content, f->relative, referenced_file_limits(), shared.diags)) {
        const YAML::Node& doc = *parsed;
        if (!doc.IsMap() || !doc["route"] || !doc["receivers"])
          r.error(n["configFile"], w + ".configFile: " + shown(f->relative) + " is not an Alertmanager config (needs route and receivers)");
      }
      am.config_file = std::move(*f);
    }
    return;
  }
  if (auto route = n["route"]) read_route(r, route, am.route);
  auto receivers = n["receivers"];
  if (!receivers) {
    if (am.enabled) r.error(n, w + ".receivers is required (the first is the default route's receiver), or give configFile");
    return;
  }
  if (!receivers.IsSequence() || receivers.size() == 0 || receivers.size() > kMaxReceivers) {
    r.error(receivers, w + ".receivers must be a list of 1 to " + std::to_string(kMaxReceivers) + " receivers");
    return;
  }
  std::map<std::string, YAML::Node> seen;
  for (const auto& item : receivers) {
    auto rc = read_receiver(r, item, w + ".receivers[]");
    if (!rc) continue;
    if (seen.count(rc->name)) {
      r.error(item["name"], w + ".receivers: the name '" + rc->name + "' is used twice");
      continue;
    }
    seen.emplace(rc->name, item["name"]);
    am.receivers.push_back(std::move(*rc));
  }
  if (auto routes = n["routes"]) read_routes(r, routes, am);

  // Every receiver is reachable and every route names one that exists.
  std::set<std::string> used;
  if (!am.receivers.empty()) used.insert(am.receivers.front().name);
  auto routes = n["routes"];
  for (std::size_t i = 0; i < am.routes.size(); ++i) {
    const auto& name = am.routes[i].receiver;
    if (name.empty()) continue;
    used.insert(name);
    if (!seen.count(name) && routes.IsSequence() && i < routes.size())
      r.error(routes[i]["receiver"], w + ".routes[].receiver: no receiver is named '" + shown(name) + "'");
  }
  for (const auto& [name, at] : seen)
    if (!used.count(name)) r.error(at, w + ".receivers: '" + name + "' is not used by any route (the first receiver is the default; others need a route)");
}

void read_alerts(Reader& r, const YAML::Node& n, Alerts& alerts) {
  const std::string w = "spec.alerts";
  if (!n.IsMap()) {
    r.error(n, w + " must be a mapping");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const auto key = it->first.Scalar();
    if (key == "runbookUrl") {
      if (auto v = r.string(n, "runbookUrl", w)) {
        if (!is_runbook_base(*v)) r.error(it->second, w + ".runbookUrl must be a URL without spaces, quotes or '#'");
        else alerts.runbook_url = *v;
      }
      continue;
    }
    const auto& tunable = tunable_alerts();
    auto known = std::find_if(tunable.begin(), tunable.end(), [&](const auto& t) { return t.first == key; });
    if (known == tunable.end()) {
      std::string names;
      for (const auto& t : tunable) names += (names.empty() ? "" : ", ") + t.first;
      r.error(it->first, "unknown field '" + shown(key) + "' in spec.alerts (tunable alerts: " + names + ", and runbookUrl)");
      continue;
    }
    const auto aw = w + "." + key;
    const YAML::Node a = it->second;
    if (!r.mapping(a, aw, {"threshold", "for"})) continue;
    AlertTuning t;
    if (known->second == ThresholdKind::None && a["threshold"]) {
      // Accepting it would change nothing: the rule has no threshold to fill.
      std::string alert = key;
      alert[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(alert[0])));
      r.error(a["threshold"], aw + ".threshold: " + alert + " fires on a state, not above a threshold; only its 'for' can be set");
    } else if (auto s = r.string(a, "threshold", aw)) {
      if (known->second == ThresholdKind::Duration) {
        auto d = parse_duration(*s);
        if (!d || d->count() <= 0) r.error(a["threshold"], aw + ".threshold: invalid duration '" + shown(*s) + "' (e.g. 30s, 2m)");
        else {
          auto ms = d->count();
          t.threshold = ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(ms / 1000) + "." + [&] {
            auto frac = std::to_string(1000 + ms % 1000).substr(1);
            while (frac.back() == '0') frac.pop_back();
            return frac;
          }();
        }
      } else {
        if (!is_threshold_number(*s)) r.error(a["threshold"], aw + ".threshold must be a non-negative number like 10 or 0.05");
        else t.threshold = *s;
      }
    }
    if (auto d = r.duration(a, "for", aw)) {
      // Prometheus's own notation, largest units first (5m, 1h30m).
      long long s = d->count();
      std::string out;
      for (auto [unit, size] : {std::pair{"h", 3600LL}, {"m", 60LL}, {"s", 1LL}})
        if (s >= size) {
          out += std::to_string(s / size) + unit;
          s %= size;
        }
      t.for_duration = out;
    }
    alerts.tuning[key] = t;
  }
}

}  // namespace

std::vector<const FileRef*> alertmanager_files(const Alertmanager& am) {
  std::vector<const FileRef*> out;
  if (am.config_file) out.push_back(&*am.config_file);
  for (const auto& rc : am.receivers)
    for (const auto& [_, f] : rc.secret_files) out.push_back(&f);
  return out;
}

void read_alerting_sections(const YAML::Node& spec, const SectionReader& shared, Manifest& m) {
  Reader r(shared);
  if (auto n = spec["alertmanager"]) {
    m.alertmanager.declared = true;
    read_alertmanager(r, n, shared, m.alertmanager);
  } else {
    m.alertmanager.enabled = false;
  }
  if (auto n = spec["alerts"]) read_alerts(r, n, m.alerts);
}

}  // namespace stackd::manifest
