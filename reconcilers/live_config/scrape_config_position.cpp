#include "reconcilers/live_config/scrape_config_position.hpp"

#include <yaml-cpp/yaml.h>

namespace stackd::live_config {

namespace {

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

// The child of a mapping or sequence whose text holds `line` (the last one
// starting at or before it): its key (or index) and node; false when none.
struct Step {
  std::string key;
  std::size_t index = 0;
  bool is_key = false;
  YAML::Node node;
  YAML::Node key_node;
};

bool step_into(const YAML::Node& n, int line, Step& out) {
  bool found = false;
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (line_of(it->first) > line) break;
      out = Step{it->first.Scalar(), 0, true, it->second, it->first};
      found = true;
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (line_of(n[i]) > line) break;
      out = Step{"", i, false, n[i], YAML::Node()};
      found = true;
    }
  }
  return found;
}

}  // namespace

std::optional<SourcePosition> user_scrape_position(const std::string& generated_yml, const std::string& user_yaml,
                                                   int generated_line) {
  try {
    const YAML::Node generated = YAML::Load(generated_yml);
    const YAML::Node user = YAML::Load(user_yaml);
    if (!user.IsSequence() || !generated.IsMap()) return std::nullopt;
    const YAML::Node jobs = generated["scrape_configs"];
    if (!jobs || !jobs.IsSequence() || jobs.size() < user.size()) return std::nullopt;
    Step item;
    if (!step_into(jobs, generated_line, item)) return std::nullopt;
    const std::size_t first_user = jobs.size() - user.size();
    if (item.index < first_user) return std::nullopt;  // a job stackd generates
    // The same path of keys and indices, walked in the user's item.
    YAML::Node g = item.node;
    YAML::Node u = user[item.index - first_user];
    SourcePosition at{line_of(u), u.Mark().column + 1};
    for (int depth = 0; depth < 64 && line_of(g) != generated_line; ++depth) {
      Step s;
      if (!step_into(g, generated_line, s)) break;
      YAML::Node next;
      YAML::Node mark;
      if (s.is_key && u.IsMap()) {
        for (auto it = u.begin(); it != u.end(); ++it)
          if (it->first.Scalar() == s.key) {
            next = it->second;
            mark = it->first;
          }
      } else if (!s.is_key && u.IsSequence() && s.index < u.size()) {
        next = u[s.index];
        mark = next;
      }
      if (!mark.IsDefined() || !next.IsDefined()) break;
      at = SourcePosition{line_of(mark), mark.Mark().column + 1};
      if (s.is_key && line_of(s.key_node) == generated_line) break;
      g = s.node;
      u = next;
    }
    return at;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace stackd::live_config
