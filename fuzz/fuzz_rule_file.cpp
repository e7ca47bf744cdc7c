// Rule files and extra scrape configs as the manifest loader reads them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/v1alpha1/yaml_document.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  stackd::manifest::Diagnostics diags;
  if (auto doc = stackd::manifest::parse_yaml_document(text, "rules.yml", stackd::manifest::referenced_file_limits(), diags)) {
    const YAML::Node& d = *doc;
    if (d.IsMap()) (void)d["groups"];
  }
  return 0;
}
