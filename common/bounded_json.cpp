#include "common/bounded_json.hpp"

#include <algorithm>
#include <cctype>

namespace stackd {

namespace {

// The deepest point of the document, found lexically (strings skipped) so
// that nothing recursive ever sees a document over the limit.
void check_depth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        throw JsonError(i, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

// The first byte of the token that ends at `last` (0-based): a string's
// opening quote, a literal's first character, else `last` itself.
std::size_t token_start(std::string_view text, std::size_t last) {
  if (last >= text.size()) return text.size();
  if (text[last] == '"') {
    for (std::size_t i = last; i-- > 0;) {
      if (text[i] != '"') continue;
      std::size_t slashes = 0;
      for (std::size_t j = i; j-- > 0 && text[j] == '\\';) ++slashes;
      if (slashes % 2 == 0) return i;
    }
    return last;
  }
  auto literal = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-'; };
  std::size_t i = last;
  while (i > 0 && literal(text[i]) && literal(text[i - 1])) --i;
  return i;
}

// The last non-blank byte before `at`, or npos.
std::size_t previous_significant(std::string_view text, std::size_t at) {
  for (std::size_t i = std::min(at, text.size()); i-- > 0;)
    if (!std::isspace(static_cast<unsigned char>(text[i]))) return i;
  return std::string_view::npos;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace

JsonSyntaxProblem explain_json_error(std::string_view text, std::size_t byte, std::string_view what) {
  // nlohmann: "syntax error while parsing CONTEXT - PROBLEM; expected WANTED",
  // `byte` 1-based, the byte after the last one read.
  const std::size_t last = byte == 0 ? 0 : std::min(byte - 1, text.size());
  // An invalid literal is reported with the byte after it ("tru}" ends at '}').
  const bool literal_error = contains(what, "invalid literal") && last > 0 && last < text.size() &&
                             std::string_view("}], \t\r\n").find(text[last]) != std::string_view::npos;
  const std::size_t start = token_start(text, literal_error ? last - 1 : last);
  const bool at_end = contains(what, "unexpected end of input");
  const std::size_t before = previous_significant(text, start);
  const bool after_comma = before != std::string_view::npos && text[before] == ',';
  if (contains(what, "invalid string: control character")) {
    // An unterminated string runs into the end of its line.
    std::size_t open = start;
    for (std::size_t i = std::min(last, text.size()); i-- > 0;) {
      if (text[i] == '"') {
        open = i;
        break;
      }
      if (text[i] == '\n') break;
    }
    return {open, "this string is not closed: a '\"' is missing before the end of the line"};
  }
  if (contains(what, "; expected end of input"))
    return {start, "text after the end of the JSON document (one top-level value per file)"};
  if (contains(what, "parsing object key") && at_end)
    return {text.size(), "expected a key in double quotes: the file ends inside an object (a '}' is missing)"};
  if (contains(what, "parsing object key") && after_comma && start < text.size() && text[start] == '}')
    return {before, "a ',' before '}': JSON allows no trailing comma"};
  if (contains(what, "parsing object key") && contains(what, "invalid literal"))
    return {start, "an object key must be a string in double quotes"};
  if (contains(what, "parsing object key")) return {start, "expected a key in double quotes"};
  if (contains(what, "parsing object separator")) return {start, "expected ':' after the key"};
  if (contains(what, "parsing value") && after_comma && start < text.size() && text[start] == ']')
    return {before, "a ',' before ']': JSON allows no trailing comma"};
  if (contains(what, "parsing object -")) {
    if (at_end) return {text.size(), "expected ',' or '}': the file ends inside an object (a '}' is missing)"};
    return {start, "expected ',' or '}' (a ',' missing after the value before?)"};
  }
  if (contains(what, "parsing array")) {
    if (at_end) return {text.size(), "expected ',' or ']': the file ends inside an array (a ']' is missing)"};
    return {start, "expected ',' or ']' (a ',' missing after the element before?)"};
  }
  if (contains(what, "invalid literal"))
    return {start, "not a JSON value: write true, false, null, a number or a \"string\""};
  if (contains(what, "invalid number")) return {start, "not a valid JSON number"};
  if (at_end) return {text.size(), "the file ends where a JSON value should be"};
  if (contains(what, "parsing value")) return {start, "expected a JSON value ('{', '[', a string, a number, true, false or null)"};
  std::string rest(what);
  if (auto p = rest.find(": "); p != std::string::npos) rest = rest.substr(p + 2);
  return {start, "invalid JSON: " + rest};
}

nlohmann::json parse_json_bounded(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw JsonError(text.size(), "JSON document of " + std::to_string(text.size()) + " bytes is larger than " +
                                     std::to_string(limits.max_bytes));
  check_depth(text, limits.max_depth);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    auto problem = explain_json_error(text, e.byte, e.what());
    throw JsonError(std::min(problem.offset, text.size()), problem.message);
  } catch (const nlohmann::json::out_of_range&) {
    // A number too large for a double ("1e3000") is not a parse_error.
    throw JsonError(0, "invalid JSON: a number is out of range");
  }
}

nlohmann::json parse_json_or_discarded(std::string_view text, const JsonLimits& limits) {
  try {
    return parse_json_bounded(text, limits);
  } catch (const JsonError&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

TextPosition position_at(std::string_view text, std::size_t offset) {
  TextPosition p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

}  // namespace stackd
