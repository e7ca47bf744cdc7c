#include "controller/cli/daemon_address.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "api/v1alpha1/loader.hpp"
#include "api/v1alpha1/yaml_document.hpp"
#include "reconcilers/ownership/daemon_record.hpp"

namespace stackd::cli {

namespace {

std::optional<std::string> read_manifest_text(const std::string& path) {
  const auto limit = manifest::LoadOptions{}.max_file_size;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  if (text.size() > limit) return std::nullopt;
  return text;
}

}  // namespace

std::string daemon_url(const std::string& listen, std::uint16_t port) {
  auto address = listen.find(':') != std::string::npos ? "[" + listen + "]" : listen;
  return ownership::probe_url(address + ":" + std::to_string(port));
}

std::string daemon_url_for(const std::string& path) {
  if (!path.empty()) return daemon_url_of_manifest(path);
  const manifest::Controller defaults;
  return daemon_url(defaults.listen, defaults.port);
}

std::optional<std::string> daemon_address_from_flags(const std::string& address, const std::string& file) {
  if (!address.empty()) return address;
  try {
    return daemon_url_for(file);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return std::nullopt;
  }
}

std::string daemon_url_of_manifest(const std::string& path) {
  try {
    auto m = manifest::load(path);
    return daemon_url(m.controller.listen, m.controller.port);
  } catch (const manifest::ManifestError& invalid) {
    // Only spec.stackd, as written (bounded like the manifest).
    manifest::Diagnostics diags;
    auto text = read_manifest_text(path);
    auto doc = text ? manifest::parse_yaml_document(*text, path, manifest::YamlLimits{}, diags) : std::nullopt;
    if (!doc || !doc->IsMap()) throw std::runtime_error(invalid.what());
    manifest::Controller c;
    const YAML::Node spec = (*doc)["spec"];
    const YAML::Node stackd = spec && spec.IsMap() ? spec["stackd"] : YAML::Node();
    if (stackd && stackd.IsMap()) {
      if (auto l = stackd["listen"]; l && l.IsScalar()) c.listen = l.Scalar();
      if (auto p = stackd["port"]; p && p.IsScalar()) {
        unsigned value = 0;
        const auto& s = p.Scalar();
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc() || end != s.data() + s.size() || value < 1 || value > 65535)
          throw std::runtime_error(path + ": spec.stackd.port '" + s + "' is not a port (and the manifest is invalid)");
        c.port = static_cast<std::uint16_t>(value);
      }
    }
    return daemon_url(c.listen, c.port);
  }
}

}  // namespace stackd::cli
