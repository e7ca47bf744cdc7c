#pragma once
// The one JSON parser stackd uses for anything it did not write itself
// (dashboards, Docker and Grafana answers): bounded in size and nesting depth
// before nlohmann builds a tree, because everything downstream (dump,
// comparison, canonicalisation) recurses once per level and a 140 KB document
// nested 70,000 deep would otherwise overflow the stack.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace stackd {

struct JsonLimits {
  std::size_t max_bytes = 32 * 1024 * 1024;
  int max_depth = 64;  // Grafana dashboards nest ~12 deep, Docker answers ~8
};

// Invalid JSON or a limit exceeded; `offset` is the 0-based byte where the
// problem is (the document's size for "too large").
class JsonError : public std::runtime_error {
 public:
  JsonError(std::size_t offset, const std::string& message) : std::runtime_error(message), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

// A parse error of nlohmann's (`byte` and `what` of its parse_error) as a
// sentence a person understands, at the byte to fix: the start of the token
// that was not expected, a trailing comma, an unterminated string's quote.
struct JsonSyntaxProblem {
  std::size_t offset = 0;  // 0-based
  std::string message;
};
JsonSyntaxProblem explain_json_error(std::string_view text, std::size_t byte, std::string_view what);

nlohmann::json parse_json_bounded(std::string_view text, const JsonLimits& limits = {});

// For answers from servers: a discarded value (is_discarded()) instead of an
// exception, like nlohmann::json::parse(text, nullptr, false).
nlohmann::json parse_json_or_discarded(std::string_view text, const JsonLimits& limits = {});

// 1-based line and column of a byte offset, for file:line:col messages.
struct TextPosition {
  int line = 1;
  int column = 1;
};
TextPosition position_at(std::string_view text, std::size_t offset);

}  // namespace stackd
