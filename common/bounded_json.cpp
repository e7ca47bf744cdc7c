#include "common/bounded_json.hpp"

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

}  // namespace

nlohmann::json parse_json_bounded(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw JsonError(text.size(), "JSON document of " + std::to_string(text.size()) + " bytes is larger than " +
                                     std::to_string(limits.max_bytes));
  check_depth(text, limits.max_depth);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based, the byte after the last one read.
    std::size_t at = e.byte == 0 ? 0 : e.byte - 1;
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "syntax error ..."
    if (auto p = what.find(": "); p != std::string::npos) what = what.substr(p + 2);
    throw JsonError(std::min(at, text.size()), "invalid JSON: " + what);
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
