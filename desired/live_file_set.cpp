#include "desired/live_file_set.hpp"

#include "common/sha256.hpp"
#include "common/unified_diff.hpp"
#include "desired/desired_state.hpp"

namespace stackd::desired {

std::string files_hash(const std::vector<TarFile>& files) {
  Sha256 h;
  const std::string sep(1, '\xff');
  for (const auto& f : files) h.update(sep).update(f.path).update(sep).update(f.content);
  return h.hex();
}

TarFile loaded_marker(const std::string& live_dir, const std::vector<TarFile>& files) {
  return TarFile{live_dir.substr(1) + "/" + kLoadedMarker, files_hash(files)};
}

std::string_view to_string(LiveSet set) {
  switch (set) {
    case LiveSet::PrometheusConfig: return "prometheus";
    case LiveSet::AlertmanagerConfig: return "alertmanager";
    case LiveSet::GrafanaAdminPassword: return "grafana-password";
  }
  return "?";
}

std::optional<LiveSet> live_set_named(std::string_view name) {
  for (auto s : {LiveSet::PrometheusConfig, LiveSet::AlertmanagerConfig, LiveSet::GrafanaAdminPassword})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::string LiveFileSet::source_of(const std::string& member) const {
  if (auto it = sources.find(member); it != sources.end()) return it->second;
  auto slash = member.find_last_of('/');
  return (slash == std::string::npos ? member : member.substr(slash + 1)) + " (generated from " + generated_from + ")";
}

std::vector<LiveFileDelta> live_file_deltas(const LiveFileSet& set, const std::vector<TarFile>& held) {
  std::vector<LiveFileDelta> out;
  for (const auto& f : set.files) {
    const TarFile* have = nullptr;
    for (const auto& h : held)
      if (h.path == f.path) have = &h;
    if (have && have->content == f.content) continue;
    LiveFileDelta d{f.path, set.source_of(f.path), have == nullptr, ""};
    d.diff = set.secret.count(f.path) ? "(a secret: its content changed and is not shown)"
                                      : unified_diff(have ? have->content : "", f.content, "a/" + d.source, "b/" + d.source);
    out.push_back(std::move(d));
  }
  return out;
}

const ContainerSpec* DesiredState::container(ComponentKind kind) const {
  for (const auto& c : containers)
    if (c.component == kind) return &c;
  return nullptr;
}

const LiveFileSet* DesiredState::live_set(LiveSet kind) const {
  for (const auto& s : live_files)
    if (s.kind == kind) return &s;
  return nullptr;
}

std::vector<TarFile> DesiredState::live_files_of(ComponentKind kind) const {
  std::vector<TarFile> out;
  for (const auto& s : live_files) {
    if (s.component != kind) continue;
    out.insert(out.end(), s.files.begin(), s.files.end());
    if (s.loaded_marker) out.push_back(*s.loaded_marker);
  }
  return out;
}

}  // namespace stackd::desired
