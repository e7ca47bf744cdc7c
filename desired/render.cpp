#include "desired/render.hpp"

#include <algorithm>

#include "api/v1alpha1/labels.hpp"
#include "common/sha256.hpp"
#include "desired/component_table.hpp"
#include "desired/grafana/grafana_state.hpp"
#include "desired/spec_hash.hpp"

namespace stackd::desired {

std::string origin_label(const std::string& origin) { return sha256_hex(origin).substr(0, 24); }

DesiredState render(const manifest::Manifest& m, const ResolvedValues& values) {
  DesiredState d;
  d.stack = m.name;
  d.revision = m.revision;
  if (!values.origin.empty()) d.origin = origin_label(values.origin);
  if (!m.host_network()) d.network = m.network;

  RenderInput in{m, values, {}, {}};
  if (m.gpu.wanted()) {
    in.gpu = decide_gpu(m, values.gpu);
    d.gpu = in.gpu;
  }
  for (const auto& def : component_definitions())
    if (runs_here(def, in) && def.scrape_targets)
      for (auto& t : def.scrape_targets(in)) in.scrape_targets.push_back(std::move(t));

  std::string components;
  for (const auto& def : component_definitions())
    if (runs_here(def, in))
      components += (components.empty() ? "" : ",") + std::string(manifest::to_string(def.kind));
  for (const auto& def : component_definitions()) {
    if (!runs_here(def, in)) continue;
    auto rendered = def.render(in);
    rendered.container.create_body["Labels"][labels::kStackComponents] = components;
    if (!d.origin.empty()) rendered.container.create_body["Labels"][labels::kOrigin] = d.origin;
    seal_spec(rendered.container);
    d.containers.push_back(std::move(rendered.container));
    for (auto& set : rendered.live_files) d.live_files.push_back(std::move(set));
    if (!manifest::schema_of(def.kind).data_dir.empty() && manifest::component_of(m, def.kind).data_path.empty())
      d.volumes.push_back({manifest::data_volume_name(m.name, def.kind), def.kind});
  }
  // User-declared named volumes are owned too (created with labels, kept by `down`).
  for (const auto& schema : manifest::component_schemas()) {
    if (!runs_here(definition_of(schema.kind), in)) continue;
    for (const auto& v : manifest::component_of(m, schema.kind).volumes)
      if (std::none_of(d.volumes.begin(), d.volumes.end(), [&](const VolumeSpec& x) { return x.name == v.name; }))
        d.volumes.push_back({v.name, schema.kind});
  }
  d.grafana = grafana::render_grafana_state(m, d.containers);
  return d;
}

}  // namespace stackd::desired
