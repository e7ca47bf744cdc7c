#pragma once
// What promtool or amtool said about the files stackd checked, told in the
// user's files: `prometheus/alerts.yml:5:11: group "x", rule 1, "Bad": could
// not parse expression: ...` instead of a dump naming
// /etc/prometheus/stackd/rules/alerts.yml somewhere in its middle. Pure: the
// checker's output and a map of the checked files in, lines for people out.
// `stackd validate` uses it for the local checkers; the daemon can use it for
// the checkers it runs inside the containers.
//
// The checkers' shapes (promtool 2.x, amtool 0.2x):
//   PATH: L:C: MESSAGE                          a rule's expression or field
//   PATH: yaml: line L: MESSAGE                 YAML syntax
//   PATH: yaml: unmarshal errors:\n  line L: MESSAGE ...   unknown fields
//   PATH: group "G", rule N, "NAME": MESSAGE    a rule, no position
//   PATH: MESSAGE                               anything else ('not a valid duration string: "5mx"')
//   FAILED: parsing YAML file PATH: ...         promtool check config on prometheus.yml
//   Checking 'PATH'  FAILED: ...                amtool check-config
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace stackd::live_config {

struct SourcePosition {
  int line = 1;  // 1-based
  int col = 1;
};

struct CheckedFile {
  std::string checked_path;  // as the checker names it: "/etc/prometheus/stackd/rules/alerts.yml"
  std::string user_path;     // the user's file, relative to the manifest: "prometheus/alerts.yml"
  std::string user_text;     // its content: positions the checker does not give are looked up in it
  // For a file stackd generates around the user's (prometheus.yml holding the
  // extra scrape configs): the user's position of a line of the checked file,
  // nullopt for a line stackd wrote. Unset: lines are the user's own.
  std::function<std::optional<SourcePosition>(int checked_line)> translate;
};

// One problem the checker found, in the user's file.
struct CheckerProblem {
  std::string file;  // user_path
  SourcePosition at;
  std::string message;
  std::string to_string() const;  // "file:line:col: message"
};

// Every problem in `output`, in the order the checker gave them, each once.
// A problem in no known file is kept with `fallback_file` (the manifest) at 1:1.
std::vector<CheckerProblem> map_checker_output(const std::string& output, const std::vector<CheckedFile>& files,
                                               const std::string& fallback_file);

// The line for people: the first problem, "+ N more" when there are more;
// `output` itself (bounded) when it names no problem stackd recognises.
std::string checker_summary(const std::string& output, const std::vector<CheckedFile>& files,
                            const std::string& fallback_file);

}  // namespace stackd::live_config
