#include "reconcilers/live_config/checker_output.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

namespace stackd::live_config {

namespace {

constexpr auto npos = std::string_view::npos;
constexpr std::size_t kMaxProblems = 50;

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    auto line = s.substr(start, nl == npos ? npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == npos) break;
    start = nl + 1;
  }
  return out;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Digits at the start of `s` (at most 9); advances `s` past them.
std::optional<int> number(std::string_view& s) {
  std::size_t n = 0;
  int v = 0;
  while (n < s.size() && n < 9 && std::isdigit(static_cast<unsigned char>(s[n]))) v = v * 10 + (s[n++] - '0');
  if (n == 0) return std::nullopt;
  s.remove_prefix(n);
  return v;
}

// "L:C: rest" -> position and rest.
std::optional<std::pair<SourcePosition, std::string_view>> line_col(std::string_view s) {
  auto line = number(s);
  if (!line || !starts_with(s, ":")) return std::nullopt;
  s.remove_prefix(1);
  auto col = number(s);
  if (!col || !starts_with(s, ": ")) return std::nullopt;
  return std::pair{SourcePosition{*line, *col}, s.substr(2)};
}

// "line L: rest" -> line and rest.
std::optional<std::pair<int, std::string_view>> yaml_line(std::string_view s) {
  if (!starts_with(s, "line ")) return std::nullopt;
  s.remove_prefix(5);
  auto line = number(s);
  if (!line || !starts_with(s, ": ")) return std::nullopt;
  return std::pair{*line, s.substr(2)};
}

// Go's yaml "field X not found in type T" is an unknown field.
std::string plain_message(std::string_view m) {
  constexpr std::string_view field = "field ", not_found = " not found in type ";
  if (starts_with(m, field)) {
    auto end = m.find(not_found);
    if (end != npos) return "unknown field '" + std::string(m.substr(field.size(), end - field.size())) + "'";
  }
  return std::string(m);
}

SourcePosition mark_of(const YAML::Node& n) {
  auto m = n.Mark();
  return m.is_null() ? SourcePosition{} : SourcePosition{m.line + 1, m.column + 1};
}

// `group "G", rule N, ...`: where rule N of group G is in a rule file.
std::optional<SourcePosition> rule_position(const std::string& text, std::string_view message) {
  constexpr std::string_view group = "group \"";
  if (!starts_with(message, group)) return std::nullopt;
  auto name_end = message.find('"', group.size());
  if (name_end == npos) return std::nullopt;
  const std::string name(message.substr(group.size(), name_end - group.size()));
  auto rest = message.substr(name_end + 1);
  std::optional<int> index;
  if (starts_with(rest, ", rule ")) {
    rest.remove_prefix(7);
    index = number(rest);
  }
  try {
    const YAML::Node doc = YAML::Load(text);
    if (!doc.IsMap() || !doc["groups"] || !doc["groups"].IsSequence()) return std::nullopt;
    for (const auto& g : doc["groups"]) {
      if (!g.IsMap() || !g["name"] || !g["name"].IsScalar() || g["name"].Scalar() != name) continue;
      const YAML::Node rules = g["rules"];
      if (index && rules && rules.IsSequence() && *index >= 1 && static_cast<std::size_t>(*index) <= rules.size())
        return mark_of(rules[static_cast<std::size_t>(*index - 1)]);
      return mark_of(g);
    }
  } catch (const YAML::Exception&) {
  }
  return std::nullopt;
}

// The first "quoted" value of the message, where the user's file has it as a
// value of its own ('not a valid duration string: "5mx"').
std::optional<SourcePosition> value_position(const std::string& text, std::string_view message) {
  auto open = message.find('"');
  if (open == npos) return std::nullopt;
  auto close = message.find('"', open + 1);
  if (close == npos || close == open + 1) return std::nullopt;
  auto value = message.substr(open + 1, close - open - 1);
  auto boundary = [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '[' || c == ',' || c == '\n' || c == ']' || c == '}' || c == '{'; };
  for (std::size_t at = text.find(value); at != npos; at = text.find(value, at + 1)) {
    bool before = at == 0 || boundary(text[at - 1]);
    auto end = at + value.size();
    bool after = end >= text.size() || boundary(text[end]) || text[end] == '\r' || text[end] == '#';
    if (!before || !after) continue;
    auto line_start = text.rfind('\n', at);
    line_start = line_start == npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    return SourcePosition{line, static_cast<int>(at - line_start) + 1};
  }
  return std::nullopt;
}

class Mapper {
 public:
  Mapper(const std::vector<CheckedFile>& files, const std::string& fallback) : fallback_(fallback) {
    for (const auto& f : files) files_.push_back(&f);
    // The longest path first: "rules/a.yml" must not match inside "rules/ba.yml".
    std::sort(files_.begin(), files_.end(),
              [](auto* a, auto* b) { return a->checked_path.size() > b->checked_path.size(); });
  }

  std::vector<CheckerProblem> map(const std::string& output) {
    auto lines = split_lines(output);
    for (std::size_t i = 0; i < lines.size() && problems_.size() < kMaxProblems; ++i) {
      const CheckedFile* file = nullptr;
      auto rest = after_path(lines[i], file);
      if (!file) continue;
      if (rest == "yaml: unmarshal errors:") {
        // Go's yaml lists each field on its own indented line.
        for (; i + 1 < lines.size(); ++i) {
          auto item = yaml_line(trim_left(lines[i + 1]));
          if (!item) break;
          add(*file, SourcePosition{item->first, 1}, plain_message(item->second), false);
        }
        continue;
      }
      if (auto lc = line_col(rest)) {
        add(*file, lc->first, std::string(lc->second), false);
      } else if (starts_with(rest, "yaml: ")) {
        auto inner = rest.substr(6);
        if (auto yl = yaml_line(inner)) add(*file, SourcePosition{yl->first, 1}, std::string(yl->second), false);
        else add(*file, SourcePosition{}, std::string(inner), true);
      } else if (auto rule = rule_position(file->user_text, rest)) {
        add_user(*file, *rule, std::string(rest));
      } else {
        add(*file, SourcePosition{}, std::string(rest), true);
      }
    }
    return std::move(problems_);
  }

 private:
  // What follows a checked file's name on the line ("PATH: rest", amtool's
  // "Checking 'PATH'  FAILED: rest"); sets `file`, or leaves it null.
  std::string_view after_path(std::string_view line, const CheckedFile*& file) const {
    for (const auto* f : files_) {
      if (f->checked_path.empty()) continue;
      for (auto at = line.find(f->checked_path); at != npos; at = line.find(f->checked_path, at + 1)) {
        auto rest = line.substr(at + f->checked_path.size());
        if (starts_with(rest, ": ")) {
          file = f;
          return rest.substr(2);
        }
        constexpr std::string_view amtool = "'  FAILED: ";
        if (starts_with(rest, amtool)) {
          file = f;
          return rest.substr(amtool.size());
        }
      }
    }
    return {};
  }

  // A position in the checked file, translated to the user's; without one,
  // the message's quoted value is looked up in the user's file.
  void add(const CheckedFile& f, SourcePosition at, std::string message, bool no_position) {
    if (no_position) {
      if (auto found = value_position(f.user_text, message)) return add_user(f, *found, std::move(message));
      if (f.translate) return add_problem(fallback_, SourcePosition{}, std::move(message));
      return add_user(f, SourcePosition{}, std::move(message));
    }
    if (f.translate) {
      if (auto user = f.translate(at.line)) return add_user(f, *user, std::move(message));
      return add_problem(fallback_, SourcePosition{}, std::move(message));
    }
    add_user(f, at, std::move(message));
  }

  void add_user(const CheckedFile& f, SourcePosition at, std::string message) {
    add_problem(f.user_path, at, std::move(message));
  }

  void add_problem(const std::string& file, SourcePosition at, std::string message) {
    CheckerProblem p{file, at, std::move(message)};
    if (seen_.insert(p.to_string()).second) problems_.push_back(std::move(p));
  }

  std::vector<const CheckedFile*> files_;
  const std::string& fallback_;
  std::vector<CheckerProblem> problems_;
  std::set<std::string> seen_;  // promtool prints a YAML error twice
};

}  // namespace

std::string CheckerProblem::to_string() const {
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": " + message;
}

std::vector<CheckerProblem> map_checker_output(const std::string& output, const std::vector<CheckedFile>& files,
                                               const std::string& fallback_file) {
  return Mapper(files, fallback_file).map(output);
}

std::string checker_summary(const std::string& output, const std::vector<CheckedFile>& files,
                            const std::string& fallback_file) {
  auto problems = map_checker_output(output, files, fallback_file);
  if (problems.empty()) {
    // Nothing recognised: the checker's own first lines, bounded.
    std::string shown;
    for (auto line : split_lines(output)) {
      auto t = trim_left(line);
      if (t.empty()) continue;
      if (!shown.empty()) shown += " ";
      shown += std::string(t.substr(0, 300));
      if (shown.size() > 600) break;
    }
    return fallback_file + ":1:1: " + (shown.empty() ? std::string("rejected without a message") : shown);
  }
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p.to_string();
  return out;
}

}  // namespace stackd::live_config
