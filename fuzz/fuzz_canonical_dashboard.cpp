// Grafana's answer for a dashboard, canonicalised and hashed for comparison.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bounded_json.hpp"
#include "desired/grafana/canonical_dashboard.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = stackd::parse_json_or_discarded(std::string_view(reinterpret_cast<const char*>(data), size));
  if (j.is_discarded()) return 0;
  auto canonical = stackd::grafana::canonical_dashboard(j);
  (void)stackd::grafana::dashboard_hash(j);
  // Canonical form is a fixed point.
  if (stackd::grafana::canonical_dashboard(canonical) != canonical) __builtin_trap();
  return 0;
}
