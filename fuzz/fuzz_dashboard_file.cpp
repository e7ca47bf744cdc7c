// A dashboard file as the manifest loader reads it (bounded JSON, uid, title).
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/v1alpha1/dashboard_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  stackd::manifest::FileRef file{"/fuzz/d.json", "d.json", std::string(reinterpret_cast<const char*>(data), size)};
  stackd::manifest::Diagnostics diags;
  if (auto doc = stackd::manifest::read_dashboard(file, diags)) (void)doc->model.dump();
  return 0;
}
