#include "exporter/stream_meter.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace stackd::exporter {

namespace {

constexpr std::size_t kHeadKeep = 256;
constexpr std::size_t kTailKeep = 1024;

// Media types are ASCII and case-insensitive; `needle` is lower case. (Not
// std::tolower: it consults the locale for every byte of every response.)
bool icontains(std::string_view hay, std::string_view needle) {
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return fold(a) == b; }) != hay.end();
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

namespace dom = simdjson::dom;

// One parser per thread, reused: it keeps its buffers between documents (the
// exporter serves every connection from one thread). simdjson's DOM API picks
// the fastest kernel for the CPU at run time; the document is a flat tape, so
// reading an answer allocates nothing once the parser has grown to its size.
dom::parser& shared_parser() {
  thread_local dom::parser parser;
  return parser;
}

// A count or duration: Ollama writes integers; a float is truncated. A
// negative number or another type means nothing (and sets `invalid`).
std::optional<std::uint64_t> uint_field(dom::object o, std::string_view key, bool& invalid) {
  dom::element v;
  if (o.at_key(key).get(v)) return std::nullopt;
  if (v.is_uint64()) return v.get_uint64().value_unsafe();
  double d = 0;
  if (v.is_int64() || v.get_double().get(d) || d < 0) {  // an int64 that is no uint64 is negative
    invalid = true;
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(d);
}

// A short string value (done_reason, finish_reason); empty when absent or not a string.
std::string_view string_field(dom::object o, std::string_view key) {
  std::string_view s;
  if (o.at_key(key).get_string().get(s)) return {};
  return s;
}

bool non_empty_string(dom::object o, std::string_view key) {
  std::string_view s;
  return !o.at_key(key).get_string().get(s) && !s.empty();
}

bool non_empty_array(dom::object o, std::string_view key) {
  dom::array a;
  return !o.at_key(key).get_array().get(a) && a.size() > 0;
}

// Finds `"key":"<value>"` in raw JSON text (used only for overflowed lines);
// values with escapes are not read.
std::string_view scan_string(std::string_view text, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  auto pos = text.find(pattern);
  if (pos == std::string_view::npos) return {};
  auto start = pos + pattern.size();
  auto end = text.find('"', start);
  if (end == std::string_view::npos || text.substr(start, end - start).find('\\') != std::string_view::npos) return {};
  return text.substr(start, end - start);
}

// Finds `"key":<digits>` in raw JSON text (used only for overflowed lines).
std::optional<std::uint64_t> scan_uint(std::string_view text, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":";
  std::size_t pos = 0;
  while ((pos = text.find(pattern, pos)) != std::string_view::npos) {
    bool in_string = pos > 0 && text[pos - 1] == '\\';  // an escaped quote: inside a string value
    std::size_t p = pos + pattern.size();
    while (p < text.size() && text[p] == ' ') ++p;
    if (!in_string && p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) {
      std::uint64_t v = 0;
      while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) v = v * 10 + (text[p++] - '0');
      return v;
    }
    pos += pattern.size();
  }
  return std::nullopt;
}

}  // namespace

BodyFormat body_format(std::string_view ct) {
  if (icontains(ct, "text/event-stream")) return BodyFormat::Sse;
  if (icontains(ct, "ndjson") || icontains(ct, "jsonl")) return BodyFormat::NdJson;
  if (icontains(ct, "json")) return BodyFormat::Json;
  return BodyFormat::Other;
}

StreamMeter::StreamMeter(BodyFormat format, std::size_t max_line) : format_(format), max_line_(max_line) {}

PieceStats StreamMeter::feed(std::string_view piece) {
  piece_ = {};
  if (format_ == BodyFormat::Other || piece.empty()) return piece_;
  if (format_ == BodyFormat::Json) {
    // One document, possibly pretty-printed: never split on newlines.
    if (overflow_) {
      tail_.append(piece);
      if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
    } else if (partial_.size() + piece.size() > max_line_) {
      overflow_ = true;
      keep_ends(partial_, piece);
      std::string().swap(partial_);
    } else {
      partial_.append(piece);
    }
    return piece_;
  }
  while (!piece.empty()) {
    auto nl = piece.find('\n');
    std::string_view chunk = nl == std::string_view::npos ? piece : piece.substr(0, nl);
    if (overflow_) {
      tail_.append(chunk);
      if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
    } else if (partial_.size() + chunk.size() > max_line_) {
      overflow_ = true;
      keep_ends(partial_, chunk);
      std::string().swap(partial_);
    } else if (nl != std::string_view::npos && partial_.empty()) {
      line(chunk);  // common case: a whole line inside this piece, no copy
    } else {
      partial_.append(chunk);
    }
    if (nl == std::string_view::npos) break;
    // End of line.
    if (overflow_) overflowed_line();
    else if (!partial_.empty()) line(partial_);
    partial_.clear();
    overflow_ = false;
    head_.clear();
    tail_.clear();
    piece.remove_prefix(nl + 1);
  }
  return piece_;
}

void StreamMeter::token_line() {
  if (!stats_.first_token) piece_.first_token = true;
  stats_.first_token = true;
  piece_.token = true;
}

// Keeps the first and last bytes of the text a + b (a line that became too long).
void StreamMeter::keep_ends(std::string_view a, std::string_view b) {
  head_.assign(a.substr(0, std::min(a.size(), kHeadKeep)));
  if (head_.size() < kHeadKeep) head_.append(b.substr(0, std::min(b.size(), kHeadKeep - head_.size())));
  if (b.size() >= kTailKeep) {
    tail_.assign(b.substr(b.size() - kTailKeep));
  } else {
    auto from_a = std::min(a.size(), kTailKeep - b.size());
    tail_.assign(a.substr(a.size() - from_a));
    tail_.append(b);
  }
}

void StreamMeter::finish() {
  if (format_ == BodyFormat::Other) return;
  if (overflow_) overflowed_line();
  else if (!partial_.empty()) line(partial_);
  partial_.clear();
  overflow_ = false;
}

void StreamMeter::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (format_ == BodyFormat::Sse) {
    if (!text.starts_with("data:")) return;  // event:, id:, retry:, comments, blank separators
    text.remove_prefix(5);
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text == "[DONE]") {
      stats_.done = true;
      return;
    }
    object(text, true);
    return;
  }
  object(text, false);
}

void StreamMeter::object(std::string_view text, bool sse) {
  if (text.empty()) return;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of the text.
  scratch_.assign(text);
  scratch_.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  dom::element doc;
  if (shared_parser().parse(scratch_.data(), text.size(), /*realloc_if_needed=*/false).get(doc)) return;
  dom::object j;
  if (doc.get_object().get(j)) return;
  dom::element unused;
  auto has = [&](std::string_view key) { return !j.at_key(key).get(unused); };
  if (has("error")) {
    stats_.error = true;
    return;
  }
  bool& invalid = stats_.invalid_metrics;
  auto reason = [&](std::string_view r) {
    if (!r.empty()) stats_.done_reason.assign(r.substr(0, StreamStats::kMaxReason));
  };
  if (sse || has("choices") || has("usage")) {  // OpenAI shapes
    dom::object c;
    if (!j.at_key("choices").at(0).get_object().get(c)) {
      dom::object delta;
      if (!c.at_key("delta").get_object().get(delta)) {
        if (non_empty_string(delta, "content") || non_empty_string(delta, "reasoning") ||
            non_empty_array(delta, "tool_calls"))
          token_line();
      }
      if (non_empty_string(c, "text")) token_line();  // /v1/completions
      reason(string_field(c, "finish_reason"));
    }
    dom::object usage;
    if (!j.at_key("usage").get_object().get(usage)) {
      if (auto v = uint_field(usage, "prompt_tokens", invalid)) stats_.prompt_tokens = v;
      if (auto v = uint_field(usage, "completion_tokens", invalid)) stats_.generated_tokens = v;
      dom::object details;
      if (!usage.at_key("prompt_tokens_details").get_object().get(details))
        if (auto v = uint_field(details, "cached_tokens", invalid)) stats_.cached_prompt_tokens = v;
    }
    return;
  }
  // Ollama native shapes.
  dom::object msg;
  if (non_empty_string(j, "response") || non_empty_string(j, "thinking") ||
      (!j.at_key("message").get_object().get(msg) &&
       (non_empty_string(msg, "content") || non_empty_string(msg, "thinking") || non_empty_array(msg, "tool_calls"))))
    token_line();
  bool done = false;
  if (!j.at_key("done").get_bool().get(done) && done) stats_.done = true;
  reason(string_field(j, "done_reason"));
  if (auto v = uint_field(j, "prompt_eval_count", invalid)) stats_.prompt_tokens = v;
  if (auto v = uint_field(j, "prompt_eval_cached_count", invalid)) stats_.cached_prompt_tokens = v;
  if (auto v = uint_field(j, "eval_count", invalid)) stats_.generated_tokens = v;
  if (auto v = uint_field(j, "total_duration", invalid)) stats_.total_duration_ns = v;
  if (auto v = uint_field(j, "load_duration", invalid)) stats_.load_duration_ns = v;
  if (auto v = uint_field(j, "prompt_eval_duration", invalid)) stats_.prompt_eval_duration_ns = v;
  if (auto v = uint_field(j, "eval_duration", invalid)) stats_.eval_duration_ns = v;
}

void StreamMeter::overflowed_line() {
  // Too long to parse; Ollama puts the metrics last, so read them from the tail.
  std::string_view head = head_;
  if (format_ == BodyFormat::Sse && head.starts_with("data:")) head.remove_prefix(5);
  while (!head.empty() && head.front() == ' ') head.remove_prefix(1);
  if (head.starts_with("{\"error\"")) stats_.error = true;
  if (auto v = scan_uint(tail_, "prompt_eval_count")) stats_.prompt_tokens = v;
  else if (auto u = scan_uint(tail_, "prompt_tokens")) stats_.prompt_tokens = u;
  if (auto v = scan_uint(tail_, "eval_count")) stats_.generated_tokens = v;
  else if (auto u = scan_uint(tail_, "completion_tokens")) stats_.generated_tokens = u;
  if (auto v = scan_uint(tail_, "prompt_eval_cached_count")) stats_.cached_prompt_tokens = v;
  else if (auto u = scan_uint(tail_, "cached_tokens")) stats_.cached_prompt_tokens = u;
  if (auto v = scan_uint(tail_, "total_duration")) stats_.total_duration_ns = v;
  if (auto v = scan_uint(tail_, "load_duration")) stats_.load_duration_ns = v;
  if (auto v = scan_uint(tail_, "prompt_eval_duration")) stats_.prompt_eval_duration_ns = v;
  if (auto v = scan_uint(tail_, "eval_duration")) stats_.eval_duration_ns = v;
  auto reason = scan_string(tail_, "done_reason");
  if (reason.empty()) reason = scan_string(tail_, "finish_reason");
  if (!reason.empty()) stats_.done_reason.assign(reason.substr(0, StreamStats::kMaxReason));
  if (contains(tail_, "\"done\":true")) stats_.done = true;
  head_.clear();
  tail_.clear();
}

}  // namespace stackd::exporter
