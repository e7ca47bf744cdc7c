#include "runtime/status.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace stackd::runtime {

namespace {

const char* kTruncated = "... (truncated)";

std::string age(SystemTime then, SystemTime now) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  if (s < 0) return "just now";
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) throw std::invalid_argument(std::string("status: field '") + key + "' is not a string");
  return it->get<std::string>();
}

}  // namespace

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  if (end == std::string::npos) return text;
  std::size_t more = 0;
  for (auto at = end; at != std::string::npos && at + 1 < text.size(); at = text.find('\n', at + 1)) ++more;
  auto line = text.substr(0, end);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  if (more == 0) return line;
  return line + " (+" + std::to_string(more) + " line" + (more == 1 ? "" : "s") + ": stackd status -o json)";
}

bool StackStatus::set_condition(std::string_view type, bool status, std::string reason, std::string message,
                                SystemTime now) {
  message = sanitize(std::move(message));
  reason = sanitize(std::move(reason));
  auto it = std::find_if(conditions.begin(), conditions.end(), [&](const Condition& c) { return c.type == type; });
  if (it == conditions.end()) {
    conditions.push_back(Condition{std::string(type), status, std::move(reason), std::move(message), now});
    return true;
  }
  bool changed = false;
  if (it->status != status) {
    it->status = status;
    it->last_transition_time = now;
    changed = true;
  }
  if (it->reason != reason) {
    it->reason = std::move(reason);
    changed = true;
  }
  if (it->message != message) {
    it->message = std::move(message);
    changed = true;
  }
  return changed;
}

const Condition* StackStatus::condition(std::string_view type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool StackStatus::is_true(std::string_view type) const {
  const Condition* c = condition(type);
  return c && c->status;
}

void StackStatus::record_reconcile(const std::string& component, std::string container_id, std::string state,
                                   std::string error, SystemTime now) {
  ComponentStatus& c = components[component];
  c.name = component;
  c.container_id = std::move(container_id);
  c.state = sanitize(std::move(state));
  c.last_reconcile_time = now;
  c.last_error = sanitize(std::move(error));
}

void StackStatus::set_redactions(std::vector<std::string> secrets) {
  secrets.erase(std::remove(secrets.begin(), secrets.end(), std::string()), secrets.end());
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  redactions_ = std::move(secrets);
}

std::string StackStatus::sanitize(std::string text) const {
  for (const auto& secret : redactions_) {
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 5)) {
      text.replace(pos, secret.size(), "*****");
    }
  }
  for (char& ch : text) {
    if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) ch = ' ';
  }
  if (text.size() > kMaxStatusMessage) {
    text.resize(kMaxStatusMessage - std::char_traits<char>::length(kTruncated));
    text += kTruncated;
  }
  return text;
}

std::string format_time(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<SystemTime> parse_time(std::string_view text) {
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') return std::nullopt;
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (std::string_view(end) != "Z") return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

void to_json(nlohmann::json& j, const StackStatus& s) {
  j = nlohmann::json::object();
  j["stack"] = s.stack;
  j["appliedRevision"] = s.applied_revision;
  j["attemptedRevision"] = s.attempted_revision;
  auto& conditions = j["conditions"] = nlohmann::json::array();
  for (const auto& c : s.conditions) {
    conditions.push_back({{"type", c.type},
                          {"status", c.status ? "True" : "False"},
                          {"reason", c.reason},
                          {"message", c.message},
                          {"lastTransitionTime", format_time(c.last_transition_time)}});
  }
  auto& components = j["components"] = nlohmann::json::array();
  for (const auto& [name, c] : s.components) {
    components.push_back({{"name", c.name},
                          {"containerId", c.container_id},
                          {"state", c.state},
                          {"lastReconcileTime",
                           c.last_reconcile_time ? nlohmann::json(format_time(*c.last_reconcile_time)) : nlohmann::json()},
                          {"lastError", c.last_error}});
  }
}

void from_json(const nlohmann::json& j, StackStatus& s) {
  if (!j.is_object() || !j.contains("conditions")) throw std::invalid_argument("status: not a stackd status document");
  s = StackStatus{};
  s.stack = s.sanitize(string_field(j, "stack"));
  s.applied_revision = s.sanitize(string_field(j, "appliedRevision"));
  s.attempted_revision = s.sanitize(string_field(j, "attemptedRevision"));
  const auto& conditions = j.at("conditions");
  if (!conditions.is_array() || conditions.size() > 16) throw std::invalid_argument("status: bad 'conditions'");
  for (const auto& c : conditions) {
    if (!c.is_object()) throw std::invalid_argument("status: a condition is not an object");
    const std::string status = string_field(c, "status");
    if (status != "True" && status != "False") throw std::invalid_argument("status: condition status must be True or False");
    auto when = parse_time(string_field(c, "lastTransitionTime"));
    s.conditions.push_back(Condition{s.sanitize(string_field(c, "type")), status == "True",
                                     s.sanitize(string_field(c, "reason")), s.sanitize(string_field(c, "message")),
                                     when.value_or(SystemTime{})});
  }
  if (auto it = j.find("components"); it != j.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > kMaxStatusComponents) throw std::invalid_argument("status: bad 'components'");
    for (const auto& c : *it) {
      if (!c.is_object()) throw std::invalid_argument("status: a component is not an object");
      ComponentStatus cs;
      cs.name = s.sanitize(string_field(c, "name"));
      cs.container_id = s.sanitize(string_field(c, "containerId"));
      cs.state = s.sanitize(string_field(c, "state"));
      cs.last_reconcile_time = parse_time(string_field(c, "lastReconcileTime"));
      cs.last_error = s.sanitize(string_field(c, "lastError"));
      s.components[cs.name] = std::move(cs);
    }
  }
}

std::string format_status(const StackStatus& s, SystemTime now) {
  std::string out;
  out += "Stack:     " + (s.stack.empty() ? std::string("(unknown)") : s.stack) + "\n";
  out += "Revision:  " + (s.applied_revision.empty() ? std::string("(none applied)") : s.applied_revision) + "\n";
  if (!s.attempted_revision.empty() && s.attempted_revision != s.applied_revision) {
    out += "Attempted: " + s.attempted_revision + "\n";
  }
  out += "\nCONDITION     STATUS  REASON                  SINCE      MESSAGE\n";
  for (const auto& c : s.conditions) {
    char line[160];
    std::snprintf(line, sizeof line, "%-13s %-7s %-23s %-10s ", c.type.c_str(), c.status ? "True" : "False",
                  c.reason.c_str(), age(c.last_transition_time, now).c_str());
    out += line + first_line(c.message) + "\n";
  }
  out += "\nCOMPONENT        CONTAINER     STATE       LAST RECONCILE  LAST ERROR\n";
  for (const auto& [name, c] : s.components) {
    char line[160];
    std::snprintf(line, sizeof line, "%-16s %-13s %-11s %-15s ", c.name.c_str(),
                  c.container_id.substr(0, 12).c_str(), c.state.empty() ? "-" : c.state.c_str(),
                  c.last_reconcile_time ? age(*c.last_reconcile_time, now).c_str() : "never");
    out += line + (c.last_error.empty() ? std::string("-") : first_line(c.last_error)) + "\n";
  }
  return out;
}

}  // namespace stackd::runtime
