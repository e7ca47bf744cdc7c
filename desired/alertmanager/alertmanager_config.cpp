#include "desired/alertmanager/alertmanager_config.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace stackd::alertmanager {
namespace {

// Fields Alertmanager reads as something other than a string.
void emit_setting(YAML::Emitter& out, const std::string& field, const std::string& value) {
  out << YAML::Key << field << YAML::Value;
  if (field == "require_tls") out << (value == "true");
  else if (field == "chat_id") out << std::stoll(value);
  else out << YAML::DoubleQuoted << value;
}

void emit_matchers(YAML::Emitter& out, const char* key, const std::vector<std::string>& matchers) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& m : matchers) out << YAML::SingleQuoted << m;
  out << YAML::EndSeq;
}

}  // namespace

std::string alertmanager_duration(std::chrono::seconds d) {
  if (d.count() <= 0) throw std::invalid_argument("duration must be positive");
  long long s = d.count();
  std::string out;
  for (auto [unit, size] : {std::pair{"h", 3600LL}, {"m", 60LL}, {"s", 1LL}})
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  return out;
}

std::string secret_path(const std::string& receiver, const std::string& field) {
  return std::string(kConfigDir) + "/secrets/" + receiver + "-" + field;
}

std::string render_config_yml(const manifest::Alertmanager& am) {
  if (am.config_file) return am.config_file->content;
  if (am.receivers.empty()) throw std::invalid_argument("spec.alertmanager has no receiver");
  YAML::Emitter out;
  out << YAML::Comment("Rendered by stackd from spec.alertmanager: edit the manifest, not this file.") << YAML::Newline;
  out << YAML::BeginMap;

  out << YAML::Key << "route" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "receiver" << YAML::Value << YAML::DoubleQuoted << am.receivers.front().name;
  out << YAML::Key << "group_by" << YAML::Value << YAML::Flow << am.route.group_by;
  out << YAML::Key << "group_wait" << YAML::Value << alertmanager_duration(am.route.group_wait);
  out << YAML::Key << "group_interval" << YAML::Value << alertmanager_duration(am.route.group_interval);
  out << YAML::Key << "repeat_interval" << YAML::Value << alertmanager_duration(am.route.repeat_interval);
  if (!am.routes.empty()) {
    out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : am.routes) {
      out << YAML::BeginMap;
      out << YAML::Key << "receiver" << YAML::Value << YAML::DoubleQuoted << r.receiver;
      emit_matchers(out, "matchers", r.matchers);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;

  // An Ollama that is down explains every other Ollama alert of its instance:
  // page once for the cause, not for each symptom.
  out << YAML::Key << "inhibit_rules" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  emit_matchers(out, "source_matchers", {"alertname=\"OllamaDown\""});
  emit_matchers(out, "target_matchers", {"alertname=~\"Ollama.+\"", "alertname!=\"OllamaDown\""});
  out << YAML::Key << "equal" << YAML::Value << YAML::Flow << std::vector<std::string>{"instance"};
  out << YAML::EndMap << YAML::EndSeq;

  out << YAML::Key << "receivers" << YAML::Value << YAML::BeginSeq;
  for (const auto& rc : am.receivers) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << rc.name;
    out << YAML::Key << (rc.kind + "_configs") << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    for (const auto& [field, value] : rc.settings) emit_setting(out, field, value);
    for (const auto& [field, _] : rc.secret_files)
      out << YAML::Key << field << YAML::Value << YAML::DoubleQuoted << secret_path(rc.name, field);
    out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  if (!out.good()) throw std::logic_error("alertmanager.yml: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

std::vector<TarFile> render_files(const manifest::Alertmanager& am) {
  std::vector<TarFile> files;
  files.push_back(TarFile{std::string(kConfigFile).substr(1), render_config_yml(am)});
  if (am.config_file) return files;
  for (const auto& rc : am.receivers)
    for (const auto& [field, secret] : rc.secret_files)
      files.push_back(TarFile{secret_path(rc.name, field).substr(1), secret.content, 0400, kAlertmanagerUid, kAlertmanagerUid});
  return files;
}

}  // namespace stackd::alertmanager
