// The engine's /events stream (NDJSON) cut into arbitrary pieces.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "clients/docker/event_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = 1 + data[0] % 32;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  stackd::docker::EventStreamDecoder decoder;
  std::size_t events = 0;
  try {
    for (std::size_t i = 0; i < stream.size(); i += piece)
      decoder.feed(stream.substr(i, piece), [&](const stackd::docker::Event& e) {
        events += e.attributes.size() + 1;
        return true;
      });
  } catch (const stackd::http::TransportError&) {
    // An over-long line: the client drops the connection and re-lists.
  }
  return 0;
}
