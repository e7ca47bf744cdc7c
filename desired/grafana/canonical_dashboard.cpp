#include "desired/grafana/canonical_dashboard.hpp"

#include <cmath>
#include <limits>

#include "common/sha256.hpp"

namespace stackd::grafana {

namespace {

using nlohmann::json;

void normalise(json& j, int depth) {
  if (depth > 256) return;  // dashboards are shallow; bound recursion on hostile input
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.007199254740992e15)
      j = static_cast<std::int64_t>(d);
    return;
  }
  if (j.is_number_unsigned()) {
    if (j.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      j = static_cast<std::int64_t>(j.get<std::uint64_t>());
    return;
  }
  if (j.is_array()) {
    for (auto& e : j) normalise(e, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  if (auto lp = j.find("libraryPanel"); lp != j.end() && lp->is_object()) {
    json kept = json::object();
    if (lp->contains("uid")) kept["uid"] = (*lp)["uid"];
    if (lp->contains("name")) kept["name"] = (*lp)["name"];
    *lp = std::move(kept);
  }
  for (auto& [k, v] : j.items()) normalise(v, depth + 1);
}

}  // namespace

nlohmann::json canonical_dashboard(const nlohmann::json& model) {
  json c = model;
  if (c.is_object()) {
    c.erase("id");
    c.erase("version");
  }
  normalise(c, 0);
  return c;
}

std::string dashboard_hash(const nlohmann::json& model) { return sha256_hex(canonical_dashboard(model).dump()); }

}  // namespace stackd::grafana
