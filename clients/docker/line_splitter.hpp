#pragma once
// Splits a byte stream (NDJSON from the engine: pull progress, events) into
// lines across arbitrary chunk boundaries, bounded: a line longer than the
// limit is a transport error rather than unbounded memory.
#include <cstddef>
#include <string>
#include <string_view>

#include "clients/http/http_client.hpp"

namespace stackd::docker {

class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}

  // Calls on_line(std::string_view) for every complete, non-empty line;
  // returns false as soon as on_line does.
  template <class F>
  bool feed(std::string_view piece, F&& on_line) {
    for (char c : piece) {
      if (c == '\n') {
        if (!pending_.empty() && !on_line(std::string_view(pending_))) return false;
        pending_.clear();
      } else if (pending_.size() < max_line_) {
        pending_.push_back(c);
      } else {
        throw http::TransportError("stream line longer than " + std::to_string(max_line_) + " bytes");
      }
    }
    return true;
  }

 private:
  std::size_t max_line_;
  std::string pending_;
};

}  // namespace stackd::docker
