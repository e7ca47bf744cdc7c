// stackd's Ollama exporter (`stackd ollama-exporter`): a metering proxy in
// front of Ollama, run from stackd's own image unless the manifest names one.
#include "desired/component_table.hpp"
#include "desired/container_document.hpp"

namespace stackd::desired {

namespace {

std::vector<prometheus::ScrapeTarget> ollama_exporter_targets(const RenderInput& in) {
  return {{"ollama-exporter", scrape_address(in.manifest, ComponentKind::OllamaExporter)}};
}

RenderedComponent render_ollama_exporter(const RenderInput& in) {
  const auto& m = in.manifest;
  const auto& e = m.ollama.exporter;
  RenderedComponent out;
  auto& s = out.container;
  s = container_spec(m, ComponentKind::OllamaExporter, !e.image.empty() ? e.image : in.values.exporter_image);
  nlohmann::json cmd = {"ollama-exporter", "--upstream", m.ollama.url, "--listen", listen_address(m, e)};
  append_args(cmd, e);
  s.create_body["Cmd"] = cmd;
  if (m.ollama.url.find("host.docker.internal") != std::string::npos) add_host_gateway(m, s.create_body);
  set_urls(m, s, e);
  return out;
}

}  // namespace

ComponentDefinition ollama_exporter_component() { return {ComponentKind::OllamaExporter, ollama_exporter_targets, render_ollama_exporter}; }

}  // namespace stackd::desired
