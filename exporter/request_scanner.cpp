#include "exporter/request_scanner.hpp"

namespace stackd::exporter {

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::size_t kMaxKey = 32;
constexpr std::size_t kMaxLiteral = 8;  // "true", "false", a short number

}  // namespace

void RequestScanner::value_complete() {
  state_ = State::AfterValue;
  if (member_ == Member::Model) {
    if (string_value_) model_ = text_;
    else model_.reset();  // not a string: no model
    if (until_model_ && model_) state_ = State::Stopped;
  } else if (member_ == Member::Stream) {
    stream_ = scalar_ && text_ == "true";
  }
}

std::optional<std::size_t> RequestScanner::feed(std::string_view piece) {
  std::size_t i = 0;
  const std::size_t n = piece.size();
  while (i < n) {
    const char c = piece[i];
    switch (state_) {
      case State::Done:
      case State::Failed:
      case State::Stopped:
        return std::nullopt;

      case State::Start:
        if (is_json_space(c)) break;
        state_ = c == '{' ? State::FirstKey : State::Failed;
        break;

      case State::FirstKey:
      case State::NextKey:
        if (is_json_space(c)) break;
        if (c == '"') {
          key_.clear();
          key_overflow_ = false;
          escape_ = false;
          state_ = State::Key;
        } else if (c == '}' && state_ == State::FirstKey) {
          state_ = State::Done;
          return i;
        } else {
          state_ = State::Failed;
        }
        break;

      case State::Key:
        if (escape_) {
          escape_ = false;
          key_overflow_ = true;  // no key this scanner looks for has escapes
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          state_ = State::Colon;
        } else if (key_.size() < kMaxKey) {
          key_.push_back(c);
        } else {
          key_overflow_ = true;
        }
        break;

      case State::Colon:
        if (is_json_space(c)) break;
        if (c != ':') {
          state_ = State::Failed;
          break;
        }
        member_ = Member::Other;
        if (!key_overflow_) {
          if (key_ == "model") member_ = Member::Model;
          else if (key_ == "stream") member_ = Member::Stream;
          else if (key_ == "stream_options") member_ = Member::StreamOptions;
        }
        if (member_ == Member::StreamOptions) stream_options_ = true;
        state_ = State::Value;
        value_started_ = scalar_ = string_value_ = in_string_ = escape_ = false;
        depth_ = 0;
        text_.clear();
        break;

      case State::Value: {
        if (!value_started_) {
          if (is_json_space(c)) break;
          value_started_ = true;
          if (c == '"') {
            string_value_ = in_string_ = true;
          } else if (c == '{' || c == '[') {
            depth_ = 1;
          } else if (c == '}' || c == ']' || c == ',' || c == ':') {
            state_ = State::Failed;
          } else {
            scalar_ = true;
            text_.push_back(c);
          }
          break;
        }
        if (in_string_) {
          const bool capture = member_ == Member::Model && depth_ == 0;
          if (escape_) {
            escape_ = false;
            if (capture && text_.size() < kMaxModel) {
              if (c == '"' || c == '\\' || c == '/') text_.push_back(c);
              else text_.append({'\\', c});  // kept as written (\u00e9 stays six bytes)
            }
            break;
          }
          // Skip to the next quote or backslash: long strings (base64
          // images, prompts) are most of a large body.
          auto stop = piece.find_first_of("\"\\", i);
          if (stop == std::string_view::npos) stop = n;
          if (capture && text_.size() < kMaxModel)
            text_.append(piece.substr(i, std::min(stop - i, kMaxModel - text_.size())));
          i = stop;
          if (i == n) continue;
          if (piece[i] == '\\') {
            escape_ = true;
          } else {  // the closing quote
            in_string_ = false;
            if (depth_ == 0) value_complete();
          }
          break;
        }
        if (scalar_) {
          if (is_json_space(c) || c == ',' || c == '}') {
            value_complete();
            if (state_ == State::Stopped) return std::nullopt;
            continue;  // the delimiter is AfterValue's
          }
          if (text_.size() < kMaxLiteral) text_.push_back(c);
          break;
        }
        // Inside an object or array value.
        if (c == '"') in_string_ = true;
        else if (c == '{' || c == '[') ++depth_;
        else if ((c == '}' || c == ']') && --depth_ == 0) value_complete();
        break;
      }

      case State::AfterValue:
        if (is_json_space(c)) break;
        if (c == ',') {
          state_ = State::NextKey;
        } else if (c == '}') {
          state_ = State::Done;
          return i;
        } else {
          state_ = State::Failed;
        }
        break;
    }
    ++i;
  }
  return std::nullopt;
}

}  // namespace stackd::exporter
