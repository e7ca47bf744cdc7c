#include "desired/alertmanager/config_structure.hpp"

#include <set>

#include "api/v1alpha1/yaml_document.hpp"

namespace stackd::alertmanager {

namespace {

struct Checker {
  const std::string& file;
  manifest::Diagnostics& diags;
  std::set<std::string> receivers;
  std::set<std::string> time_intervals;

  void error(const YAML::Node& at, const std::string& message) {
    auto mark = at.Mark();
    diags.add(file, mark.is_null() ? 1 : mark.line + 1, mark.is_null() ? 1 : mark.column + 1, message);
  }

  void names(const YAML::Node& list, const char* what, std::set<std::string>& into) {
    if (!list) return;
    if (!list.IsSequence()) {
      error(list, std::string(what) + " must be a list");
      return;
    }
    for (const auto& item : list) {
      const auto name = item.IsMap() ? item["name"] : YAML::Node();
      if (!name || !name.IsScalar() || name.Scalar().empty()) {
        error(item, std::string("missing name on ") + (std::string(what) == "receivers" ? "receiver" : "time interval"));
        continue;
      }
      if (!into.insert(name.Scalar()).second)
        error(name, std::string(what) == "receivers"
                        ? "notification config name \"" + name.Scalar() + "\" is not unique"
                        : "time interval \"" + name.Scalar() + "\" is defined twice");
    }
  }

  void route(const YAML::Node& r, bool root, int depth) {
    if (!r.IsMap()) {
      error(r, "a route must be a mapping");
      return;
    }
    if (depth > 64) return;  // the YAML limits bound it already
    const auto receiver = r["receiver"];
    if (root) {
      if (!receiver || !receiver.IsScalar() || receiver.Scalar().empty())
        error(r, "root route must specify a default receiver");
      for (const char* key : {"match", "match_re", "matchers"})
        if (r[key]) error(r[key], "root route must not have any matchers");
      if (r["continue"]) error(r["continue"], "cannot have continue in root route");
      if (r["mute_time_intervals"]) error(r["mute_time_intervals"], "root route must not have any mute time intervals");
      if (r["active_time_intervals"])
        error(r["active_time_intervals"], "root route must not have any active time intervals");
    }
    if (receiver && receiver.IsScalar() && !receiver.Scalar().empty() && !receivers.contains(receiver.Scalar()))
      error(receiver, "undefined receiver \"" + receiver.Scalar() + "\" used in route");
    for (const char* key : {"mute_time_intervals", "active_time_intervals"}) {
      const auto list = r[key];
      if (!list || !list.IsSequence()) continue;
      for (const auto& name : list)
        if (name.IsScalar() && !time_intervals.contains(name.Scalar()))
          error(name, "undefined time interval \"" + name.Scalar() + "\" used in route");
    }
    if (const auto children = r["routes"]) {
      if (!children.IsSequence()) error(children, "routes must be a list");
      else
        for (const auto& child : children) route(child, false, depth + 1);
    }
  }
};

}  // namespace

manifest::Diagnostics check_config_structure(const std::string& content, const std::string& file) {
  manifest::Diagnostics diags;
  auto doc = manifest::parse_yaml_document(content, file, manifest::referenced_file_limits(), diags);
  if (!doc) return diags;
  Checker c{file, diags, {}, {}};
  if (!doc->IsMap()) {
    c.error(*doc, "an Alertmanager config must be a mapping (route, receivers, ...)");
    return diags;
  }
  c.names((*doc)["receivers"], "receivers", c.receivers);
  c.names((*doc)["time_intervals"], "time_intervals", c.time_intervals);
  c.names((*doc)["mute_time_intervals"], "time_intervals", c.time_intervals);
  if (const auto route = (*doc)["route"]) c.route(route, true, 0);
  else c.error(*doc, "no routes provided");
  return diags;
}

}  // namespace stackd::alertmanager
