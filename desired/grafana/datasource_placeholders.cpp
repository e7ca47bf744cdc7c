#include "desired/grafana/datasource_placeholders.hpp"

#include <algorithm>
#include <map>

namespace stackd::grafana {

namespace {

using nlohmann::json;

void replace_in_strings(json& j, const std::map<std::string, std::string>& tokens, int depth) {
  if (depth > 256) return;
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.find("${") == std::string::npos) return;
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t open = s.find("${", i);
      if (open == std::string::npos) break;
      std::size_t close = s.find('}', open + 2);
      if (close == std::string::npos) break;
      auto it = tokens.find(s.substr(open + 2, close - open - 2));
      out.append(s, i, open - i);
      if (it != tokens.end()) out.append(it->second);
      else out.append(s, open, close - open + 1);
      i = close + 1;
    }
    out.append(s, i, std::string::npos);
    j = std::move(out);
    return;
  }
  if (j.is_array() || j.is_object())
    for (auto& v : j) replace_in_strings(v, tokens, depth + 1);
}

}  // namespace

nlohmann::json resolve_datasource_inputs(const nlohmann::json& model, const std::string& prometheus_uid,
                                         const std::vector<DatasourceRef>& datasources) {
  json out = model;
  std::map<std::string, std::string> tokens{{"DS_PROMETHEUS", prometheus_uid}};
  if (auto in = out.find("__inputs"); in != out.end() && in->is_array()) {
    for (const auto& input : *in) {
      if (!input.is_object() || !input.contains("name") || !input["name"].is_string()) continue;
      std::string name = input["name"];
      std::string type = input.value("type", "");
      if (type == "datasource") {
        std::string plugin = input.value("pluginId", "");
        if (plugin == "prometheus") {
          tokens[name] = prometheus_uid;
          continue;
        }
        auto ds = std::find_if(datasources.begin(), datasources.end(),
                               [&](const DatasourceRef& d) { return d.type == plugin; });
        if (ds == datasources.end())
          throw std::invalid_argument("input " + name + " needs a datasource of type \"" + plugin +
                                      "\" and the stack declares none");
        tokens[name] = ds->uid;
      } else if (type == "constant" && input.contains("value") && input["value"].is_string()) {
        tokens[name] = input["value"].get<std::string>();
      }
    }
    out.erase("__inputs");
  }
  replace_in_strings(out, tokens, 0);
  return out;
}

}  // namespace stackd::grafana
