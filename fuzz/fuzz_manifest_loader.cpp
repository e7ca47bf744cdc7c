// The manifest loader on arbitrary text: YAML structure checks, ${VAR}
// masking and expansion, every field check. Any outcome but a ManifestError
// or a Manifest is a bug. The environment holds hostile values so that
// expansion is exercised too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/v1alpha1/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  stackd::manifest::LoadOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "A") return std::string("x\nlisten: 0.0.0.0");
    if (name == "B") return std::string("{a: [1, 2]}");
    if (name == "E") return std::string();
    return std::nullopt;
  };
  try {
    // A directory with no files: references fail cleanly, nothing is read.
    stackd::manifest::load_from_string(text, "/nonexistent/stackd-fuzz/stack.yaml", options);
  } catch (const stackd::manifest::ManifestError&) {
  }
  stackd::manifest::Diagnostics diags;
  stackd::manifest::interpolate(text, "fuzz", options.env, diags);
  return 0;
}
