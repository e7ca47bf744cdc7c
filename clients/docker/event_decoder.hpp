#pragma once
// Decodes the engine's /events stream (one JSON object a line) into Events.
// The stream comes from a socket stackd does not control: every line is
// bounded (length, JSON depth) and every field type-checked; anything else is
// skipped.
#include <functional>
#include <optional>
#include <string_view>

#include "clients/docker/docker_api.hpp"
#include "clients/docker/line_splitter.hpp"

namespace stackd::docker {

// One line of the stream; nullopt when it is not an event object.
std::optional<Event> decode_event(std::string_view line);

class EventStreamDecoder {
 public:
  static constexpr std::size_t kMaxLine = 1024 * 1024;

  // Returns false once on_event does (the caller stops reading).
  bool feed(std::string_view piece, const std::function<bool(const Event&)>& on_event);

 private:
  LineSplitter lines_{kMaxLine};
};

}  // namespace stackd::docker
