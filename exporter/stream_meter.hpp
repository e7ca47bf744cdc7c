#pragma once
// Reads an Ollama response body as it streams through the proxy, without
// holding it: NDJSON lines (/api/generate, /api/chat), SSE events
// (/v1/chat/completions, /v1/completions) or one JSON document (stream:false,
// /api/embed). It notices the first token, {"error": ...} objects (which
// Ollama sends mid-stream with status 200) and the usage numbers of the final
// chunk (counts, durations in ns, done_reason) or of an OpenAI `usage`
// object and finish_reason.
//
// Pieces may be split anywhere (inside a line, inside a UTF-8 sequence). Lines
// are bounded by max_line: a longer line is not buffered; only its first and
// last bytes are kept, which is enough for Ollama's final chunk, whose
// metrics fields come last.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stackd::exporter {

enum class BodyFormat { Json, NdJson, Sse, Other };

// From a Content-Type header value.
BodyFormat body_format(std::string_view content_type);

// What the body said, from its final chunk (Ollama: done:true with
// api.Metrics, all durations in ns; Ollama omits zero fields), an OpenAI
// `usage` object or /api/embed's answer. Absent fields stay nullopt; a
// metrics field with a negative or non-numeric value is nullopt too and sets
// invalid_metrics.
struct StreamStats {
  bool first_token = false;   // a line carried generated content
  bool error = false;         // an {"error": ...} object was seen
  bool done = false;          // final chunk (done:true) or data: [DONE]
  bool invalid_metrics = false;
  std::optional<std::uint64_t> prompt_tokens;        // prompt_eval_count / usage.prompt_tokens
  std::optional<std::uint64_t> cached_prompt_tokens; // prompt_eval_cached_count / usage.prompt_tokens_details.cached_tokens
  std::optional<std::uint64_t> generated_tokens;     // eval_count / usage.completion_tokens
  std::optional<std::uint64_t> total_duration_ns;    // total_duration
  std::optional<std::uint64_t> load_duration_ns;     // load_duration
  std::optional<std::uint64_t> prompt_eval_duration_ns;  // prompt_eval_duration
  std::optional<std::uint64_t> eval_duration_ns;     // eval_duration
  std::string done_reason;  // done_reason / choices[0].finish_reason, at most kMaxReason bytes; empty when none
  static constexpr std::size_t kMaxReason = 64;
};

// What one piece of the body carried.
struct PieceStats {
  bool first_token = false;  // it completed the first line carrying a token (the time-to-first-token moment)
  bool token = false;        // it completed at least one line carrying a token
};

class StreamMeter {
 public:
  static constexpr std::size_t kDefaultMaxLine = 1024 * 1024;
  explicit StreamMeter(BodyFormat format, std::size_t max_line = kDefaultMaxLine);

  // Feeds the next piece of the body.
  PieceStats feed(std::string_view piece);
  // End of body: processes a last line without a newline terminator.
  void finish();

  const StreamStats& stats() const { return stats_; }

 private:
  void line(std::string_view text);
  void object(std::string_view json_text, bool sse);
  void token_line();
  void overflowed_line();
  void keep_ends(std::string_view a, std::string_view b);

  BodyFormat format_;
  std::size_t max_line_;
  std::string partial_;        // an incomplete line carried over between pieces
  bool overflow_ = false;      // the current line exceeded max_line_
  std::string head_, tail_;    // bounded first/last bytes of an overflowed line
  std::string scratch_;        // a line copied with the padding the JSON parser reads past its end
  StreamStats stats_;
  PieceStats piece_;  // of the piece being fed
};

}  // namespace stackd::exporter
