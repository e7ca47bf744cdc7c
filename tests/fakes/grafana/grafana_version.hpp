#pragma once
// The Grafana releases the fake can behave like, and what differs between
// them (each difference is tested in fake_grafana_store_test.cpp, naming the
// Grafana source file or docs page it follows):
//   10.4  dashboard titles unique per folder (pkg/services/dashboards/service:
//         getExistingDashboardByTitleAndFolder; takeover with overwrite,
//         412 name-exists without, 400 name-match for a folder's title);
//         folders not nested; versions list is a bare JSON array.
//   11.3  titles no longer unique; nested folders on (GET /api/folders lists
//         the root's children only); versions list still a bare array
//         (docs v11.4 developers/http_api/dashboard_versions).
//   12.0  versions list is {"versions": [...], "continueToken": ""}
//         (docs v12.4 api-reference/http-api/dashboard_versions; from 11.6);
//         schema-v2 dashboards exist and the legacy GET answers 406 for them.
#include <optional>
#include <string>

namespace stackd::fakes::grafana {

enum class GrafanaVersion { v10_4, v11_0, v11_3, v12_0 };

inline bool operator<(GrafanaVersion a, GrafanaVersion b) { return static_cast<int>(a) < static_cast<int>(b); }
inline bool operator>=(GrafanaVersion a, GrafanaVersion b) { return !(a < b); }

// "10.4", "11.3", "12.0" (also accepts "12", "12.x" and a patch: "11.3.0").
inline std::optional<GrafanaVersion> parse_grafana_version(const std::string& s) {
  auto starts = [&](const char* p) { return s.rfind(p, 0) == 0; };
  if (starts("10.4")) return GrafanaVersion::v10_4;
  if (starts("11.0")) return GrafanaVersion::v11_0;
  if (starts("11.3")) return GrafanaVersion::v11_3;
  if (starts("12")) return GrafanaVersion::v12_0;
  return std::nullopt;
}

// What /api/health reports as "version".
inline std::string version_string(GrafanaVersion v) {
  switch (v) {
    case GrafanaVersion::v10_4: return "10.4.0";
    case GrafanaVersion::v11_0: return "11.0.0";
    case GrafanaVersion::v11_3: return "11.3.0";
    case GrafanaVersion::v12_0: return "12.0.0";
  }
  return "11.3.0";
}

}  // namespace stackd::fakes::grafana
