#include "controller/cli/plan_output.hpp"

namespace stackd::cli {

namespace {

char symbol(runtime::Action a) {
  switch (a) {
    case runtime::Action::Create: return '+';
    case runtime::Action::Delete: return '-';
    case runtime::Action::Keep: return '=';
    case runtime::Action::Conflict: return '!';
    default: return '~';
  }
}

void indent_into(std::string& out, const std::string& text, const std::string& prefix) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
}

void change_text(std::string& out, const runtime::Change& c, bool verbose) {
  const std::string action(runtime::to_string(c.action));
  out += "  ";
  out += symbol(c.action);
  out += " " + action + std::string(action.size() < 9 ? 9 - action.size() : 1, ' ') +
         std::string(runtime::to_string(c.object)) + " " + c.name;
  if (!c.reason.empty()) out += ": " + c.reason;
  out += "\n";
  for (const auto& f : c.fields) out += "      " + f.path + ": " + f.old_value + " -> " + f.new_value + "\n";
  indent_into(out, c.diff, "      ");
  if (verbose) indent_into(out, c.full_diff, "      ");
}

}  // namespace

std::string plan_text(const std::vector<runtime::Change>& changes, bool verbose) {
  std::string out;
  bool any_outside = false, any_inside = false;
  for (const auto& c : changes) (c.outside ? any_outside : any_inside) = true;
  if (any_inside) {
    out += "Changes:\n";
    for (const auto& c : changes)
      if (!c.outside) change_text(out, c, verbose);
  }
  if (any_outside) {
    out += (out.empty() ? "" : "\n") + std::string("Changed outside stackd (apply puts them back):\n");
    for (const auto& c : changes)
      if (c.outside) change_text(out, c, verbose);
  }
  if (!out.empty()) out += "\n";
  return out + runtime::summary_line(changes) + "\n";
}

nlohmann::json plan_json(const std::vector<runtime::Change>& changes, const std::string& revision, bool verbose) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : changes) list.push_back(runtime::to_json(c, verbose));
  return {{"revision", revision}, {"summary", runtime::summary_line(changes)}, {"changes", list}};
}

}  // namespace stackd::cli
