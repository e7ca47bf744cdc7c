// The exporter's stream meter on an arbitrary body cut into arbitrary pieces:
// byte 0 picks the format, byte 1 the piece size, byte 2 the line bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/stream_meter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  using stackd::exporter::BodyFormat;
  const BodyFormat formats[] = {BodyFormat::Json, BodyFormat::NdJson, BodyFormat::Sse, BodyFormat::Other};
  auto format = formats[data[0] % 4];
  std::size_t piece = 1 + data[1] % 64;
  std::size_t max_line = data[2] % 2 ? 64 : stackd::exporter::StreamMeter::kDefaultMaxLine;
  stackd::exporter::StreamMeter meter(format, max_line);
  std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);
  for (std::size_t i = 0; i < body.size(); i += piece) meter.feed(body.substr(i, piece));
  meter.finish();
  (void)meter.stats();
  return 0;
}
