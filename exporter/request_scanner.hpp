#pragma once
// Reads the top-level members of a JSON request body as it streams through
// the proxy, piece by piece, in constant memory: the "model" string (the
// model label), whether "stream" is true and whether "stream_options" is
// there (for --openai-usage=inject), and where the object's closing brace is
// (where a member can be added). A body may carry megabytes of base64 images
// before or after these; nothing is buffered but a bounded key and value.
//
// Not a validator: it stops at the first byte that cannot continue a JSON
// object (failed()), and Ollama answers such a body with 400 anyway. Pieces
// may be split anywhere. A member given twice counts with its last value, as
// Go's encoding/json decodes it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stackd::exporter {

class RequestScanner {
 public:
  static constexpr std::size_t kMaxModel = 256;  // longer names are cut (ModelLabels maps them to "other")

  // until_model: stop at the end of the "model" value (ended() from then on),
  // for a caller that needs nothing else; clients write the model first, so
  // most bodies are then read no further than their first member.
  explicit RequestScanner(bool until_model = false) : until_model_(until_model) {}

  // Feeds the next piece of the body; returns the offset within `piece` of the
  // top-level object's closing brace when this piece holds it.
  std::optional<std::size_t> feed(std::string_view piece);

  // The top-level "model" string, once read to its end.
  const std::optional<std::string>& model() const { return model_; }
  bool stream() const { return stream_; }
  bool has_stream_options() const { return stream_options_; }
  bool closed() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }
  // Nothing more can be learnt from the body (or, until_model, nothing more is wanted).
  bool ended() const { return state_ == State::Done || state_ == State::Failed || state_ == State::Stopped; }

 private:
  enum class State { Start, FirstKey, NextKey, Key, Colon, Value, AfterValue, Done, Failed, Stopped };
  enum class Member { Other, Model, Stream, StreamOptions };
  void value_complete();

  bool until_model_;
  State state_ = State::Start;
  Member member_ = Member::Other;
  std::string key_;             // the current key, up to 32 bytes
  bool key_overflow_ = false;
  std::string text_;            // the captured value (model or stream), bounded
  bool value_started_ = false;  // the current value's first byte was seen
  bool scalar_ = false;         // the current value is a number or literal
  bool string_value_ = false;   // the current value is a string
  int depth_ = 0;               // nesting inside the current value
  bool in_string_ = false;
  bool escape_ = false;
  std::optional<std::string> model_;
  bool stream_ = false;
  bool stream_options_ = false;
};

}  // namespace stackd::exporter
