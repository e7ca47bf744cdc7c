#include "api/v1alpha1/yaml_syntax.hpp"

#include <yaml-cpp/exceptions.h>

#include <optional>
#include <vector>

#include "api/v1alpha1/field_syntax.hpp"

namespace stackd::manifest {

namespace {

constexpr auto npos = std::string_view::npos;

// The text as lines (without '\n'), looked at one at a time.
class Lines {
 public:
  explicit Lines(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      auto nl = text.find('\n', start);
      auto line = text.substr(start, nl == npos ? npos : nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines_.push_back(line);
      if (nl == npos) break;
      start = nl + 1;
    }
  }
  int count() const { return static_cast<int>(lines_.size()); }
  // 0-based; "" outside the text.
  std::string_view at(int i) const { return i >= 0 && i < count() ? lines_[static_cast<std::size_t>(i)] : ""; }

 private:
  std::vector<std::string_view> lines_;
};

std::size_t indent(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// Not blank, not a comment.
bool is_content(std::string_view s) {
  auto i = indent(s);
  while (i < s.size() && s[i] == '\t') ++i;
  return i < s.size() && s[i] != '#';
}

bool is_item(std::string_view s) {
  auto i = indent(s);
  return i < s.size() && s[i] == '-' && (i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t');
}

// Where a block mapping key starts on the line: after the indentation and
// any "- " of list items.
std::size_t key_start(std::string_view s) {
  auto i = indent(s);
  while (i + 1 < s.size() && s[i] == '-' && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
    i += 2;
    while (i < s.size() && s[i] == ' ') ++i;
  }
  return i;
}

// The ':' that ends the line's key (followed by a blank or the line's end),
// outside a quoted key and before a comment; npos when the line has none.
std::size_t mapping_colon(std::string_view s, std::size_t from = npos) {
  std::size_t i = from == npos ? key_start(s) : from;
  if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
    char q = s[i];
    for (++i; i < s.size() && s[i] != q; ++i)
      if (q == '"' && s[i] == '\\') ++i;
    ++i;
  }
  for (; i < s.size(); ++i) {
    if (s[i] == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) return npos;
    if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t')) return i;
  }
  return npos;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The key of a line ("port" of "    port: 9090"), or its first word when it
// has no ':'.
std::string key_of(std::string_view s) {
  auto start = key_start(s);
  auto colon = mapping_colon(s);
  if (colon != npos) return shown(trim(s.substr(start, colon - start)));
  auto end = s.find_first_of(" \t", start);
  return shown(s.substr(start, end == npos ? npos : end - start));
}

int col(std::size_t zero_based) { return static_cast<int>(zero_based) + 1; }

std::string at_line(int i) { return "line " + std::to_string(i + 1); }

// The nearest content line above `i`, or -1.
int previous_content(const Lines& lines, int i) {
  for (int j = i - 1; j >= 0; --j)
    if (is_content(lines.at(j))) return j;
  return -1;
}

std::optional<YamlSyntaxProblem> missing_colon_above(const Lines& lines, int i) {
  const auto level = indent(lines.at(i));
  for (int j = i - 1; j >= 0; --j) {
    auto s = lines.at(j);
    if (!is_content(s)) continue;
    if (indent(s) < level) return std::nullopt;  // the parent: nothing at this level lacks a ':'
    if (indent(s) > level) continue;             // inside a sibling's value
    if (is_item(s) || mapping_colon(s) != npos) return std::nullopt;
    return YamlSyntaxProblem{j + 1, col(indent(s)), "a ':' is missing after '" + key_of(s) + "'"};
  }
  return std::nullopt;
}

YamlSyntaxProblem illegal_map_value(const Lines& lines, int i, std::size_t c0) {
  auto s = lines.at(i);
  auto first = mapping_colon(s);
  if (first != npos && first < c0) {
    // "image: x: y": the value holds ': ', which starts another key.
    auto value = trim(s.substr(first + 1));
    return {i + 1, col(first + 2),
            "the value of '" + key_of(s) + "' contains ': ', which YAML reads as another key: put the value in quotes (" +
                key_of(s) + ": \"" + shown(value) + "\")"};
  }
  if (auto p = missing_colon_above(lines, i)) return *p;
  int k = previous_content(lines, i);
  if (k >= 0 && indent(lines.at(i)) > indent(lines.at(k))) {
    auto above = lines.at(k);
    auto colon = mapping_colon(above);
    if (colon != npos && !trim(above.substr(colon + 1)).empty())
      return {i + 1, col(indent(s)),
              "the indentation of '" + key_of(s) + "' does not match its siblings: it starts at column " +
                  std::to_string(col(indent(s))) + ", '" + key_of(above) + "' on " + at_line(k) + " at column " +
                  std::to_string(col(key_start(above))) + " (and '" + key_of(above) +
                  "' already has its value on its line)"};
  }
  return {i + 1, col(c0), "a ':' is not allowed here: a value that contains ': ' must be put in quotes"};
}

YamlSyntaxProblem end_of_block(const Lines& lines, int i, std::size_t c0) {
  auto s = lines.at(i);
  if (c0 > indent(s) && c0 <= s.size()) {
    auto before = s.find_last_not_of(" \t", c0 - 1);
    if (before != npos && (s[before] == '\'' || s[before] == '"'))
      return {i + 1, col(c0),
              "unexpected text after the closing quote: inside '...' write '' for a single quote, inside \"...\" "
              "write \\\""};
    return {i + 1, col(c0), "unexpected text after the value on this line"};
  }
  const auto level = indent(s);
  if (is_item(s)) {
    for (int j = i - 1; j >= 0; --j) {
      auto above = lines.at(j);
      if (!is_content(above) || indent(above) > level) continue;
      if (indent(above) == level && !is_item(above))
        return {i + 1, col(level),
                "a list item ('- ') at the indentation of the key '" + key_of(above) + "' on " + at_line(j) +
                    ": a mapping holds 'key: value' lines; put the list under its key, indented"};
      break;
    }
    return {i + 1, col(level), "a list item ('- ') is not expected at this indentation"};
  }
  // A key: after list items at its level, or at a column no block above uses.
  int sibling = -1;
  for (int j = i - 1; j >= 0; --j) {
    auto above = lines.at(j);
    if (!is_content(above)) continue;
    if (indent(above) == level && is_item(above))
      return {i + 1, col(level),
              "'" + key_of(s) + "' is at the indentation of the list items above it (" + at_line(j) +
                  "): a list and 'key: value' lines cannot share one level; indent the list under its own key, or "
                  "make '" + key_of(s) + "' a list item"};
    if (indent(above) <= level) break;
    if (sibling < 0) sibling = j;
  }
  if (sibling >= 0) {
    auto above = lines.at(sibling);
    return {i + 1, col(level),
            "the indentation of '" + key_of(s) + "' does not match its siblings: it starts at column " +
                std::to_string(col(level)) + ", '" + key_of(above) + "' on " + at_line(sibling) + " at column " +
                std::to_string(col(indent(above)))};
  }
  return {i + 1, col(level), "the indentation here does not match the lines above"};
}

// The '[' or '{' that is still open at byte `end` (lexically: quotes,
// comments and brackets inside plain words are skipped), as line and column.
std::optional<YamlSyntaxProblem> unclosed_bracket(std::string_view text, std::size_t end, char open) {
  struct Open {
    char c;
    int line, col;
  };
  std::vector<Open> stack;
  int line = 1, column = 1;
  char prev = '\n';
  for (std::size_t i = 0; i < end && i < text.size(); ++i) {
    char c = text[i];
    bool token_start = prev == '\n' || prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ',';
    if (c == '#' && (prev == '\n' || prev == ' ' || prev == '\t')) {
      while (i < end && i < text.size() && text[i] != '\n') ++i;
      c = '\n';
    } else if ((c == '"' || c == '\'') && (token_start || prev == ':')) {
      for (++i; i < end && i < text.size() && text[i] != c; ++i) {
        if (c == '"' && text[i] == '\\') ++i;
        if (i < text.size() && text[i] == '\n') ++line;
      }
    } else if ((c == '[' || c == '{') && token_start) {
      stack.push_back({c, line, column});
    } else if ((c == ']' || c == '}') && !stack.empty()) {
      stack.pop_back();
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    prev = c;
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it)
    if (it->c == open) {
      const char* close = open == '[' ? "]" : "}";
      const char* what = open == '[' ? "list" : "mapping";
      return YamlSyntaxProblem{it->line, it->col,
                               std::string("this '") + open + "' is never closed: a '" + close + "' is missing where the " +
                                   what + " ends"};
    }
  return std::nullopt;
}

std::size_t offset_of(std::string_view text, int line, int col) {
  std::size_t at = 0;
  for (int l = 1; l < line; ++l) {
    auto nl = text.find('\n', at);
    if (nl == npos) return text.size();
    at = nl + 1;
  }
  return std::min(text.size(), at + static_cast<std::size_t>(col > 0 ? col - 1 : 0));
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

YamlSyntaxProblem explain_yaml_error(std::string_view text, int line, int column, const std::string& message) {
  namespace E = YAML::ErrorMsg;
  Lines lines(text);
  const int i = std::max(0, std::min(line - 1, lines.count() - 1));
  const std::size_t c0 = column > 0 ? static_cast<std::size_t>(column - 1) : 0;
  auto s = lines.at(i);
  auto here = [&](std::string sentence) { return YamlSyntaxProblem{line, column, std::move(sentence)}; };
  if (message == E::MAP_VALUE) return illegal_map_value(lines, i, c0);
  if (message == E::END_OF_MAP || message == E::END_OF_SEQ) return end_of_block(lines, i, c0);
  if (message == E::END_OF_SEQ_FLOW || message == E::END_OF_MAP_FLOW) {
    char open = message == E::END_OF_SEQ_FLOW ? '[' : '{';
    if (auto p = unclosed_bracket(text, offset_of(text, line, column), open)) return *p;
    return here(std::string("a '") + (open == '[' ? ']' : '}') + "' is missing before this point");
  }
  if (starts_with(message, "illegal tab"))
    return here("a tab is used for indentation: YAML allows only spaces there");
  if (message == E::FLOW_END)
    return here(std::string("'") + (c0 < s.size() ? s[c0] : ']') + "' closes no '[' or '{'");
  if (message == E::UNKNOWN_TOKEN) {
    std::string c = c0 < s.size() ? std::string(1, s[c0]) : "?";
    return here("'" + c + "' cannot start an unquoted value (YAML reserves it): put the value in quotes");
  }
  if (starts_with(message, E::INVALID_ESCAPE))
    return here("'\\" + message.substr(std::string(E::INVALID_ESCAPE).size()) +
                "' is not an escape YAML knows inside double quotes: write '\\\\' for a backslash, or use single quotes");
  if (message == E::BLOCK_ENTRY)
    return here("a list item ('- ') is not allowed here: a list under a key starts on the next line, indented");
  if (message == E::MAP_KEY) return here("an explicit key ('? ') is not allowed here");
  if (message == E::DOC_IN_SCALAR)
    return here("'---' or '...' at the start of a line ends the document inside a value: is a quote above never closed?");
  if (message == E::EOF_IN_SCALAR) return here("the file ends inside a value");
  if (message == E::CHAR_IN_SCALAR) return here("this character is not allowed in an unquoted value: put the value in quotes");
  if (message == E::CHAR_IN_BLOCK || message == E::ZERO_INDENT_IN_BLOCK)
    return here("the text of a block value ('|' or '>') must be indented more than its key");
  return here("YAML syntax error: " + message);
}

YamlSyntaxProblem unclosed_quote(std::string_view text, std::size_t offset) {
  if (offset >= text.size() || (text[offset] != '"' && text[offset] != '\'')) return {};
  const char q = text[offset];
  for (std::size_t i = offset + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;  // '' is a quote inside '...'
      else return {};
    }
  }
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, col(offset - line_start),
          std::string("this quote is never closed: a ") + (q == '"' ? "'\"'" : "\"'\"") + " is missing at the end of the value"};
}

}  // namespace stackd::manifest
