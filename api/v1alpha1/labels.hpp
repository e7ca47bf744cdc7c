#pragma once
// The labels by which stackd recognises what it owns (docs/manifest.md, "What stackd owns"). Nothing
// without kManagedBy=kManagedByValue is ever stopped, removed or adopted.
#include <map>
#include <string>

namespace stackd::labels {

inline constexpr const char* kManagedBy = "dev.stackd.managed-by";
inline constexpr const char* kManagedByValue = "stackd";
inline constexpr const char* kStack = "dev.stackd.stack";
inline constexpr const char* kComponent = "dev.stackd.component";
inline constexpr const char* kSpecHash = "dev.stackd.spec-hash";
// The create document stackd sent (canonical JSON, its own bookkeeping
// labels aside, environment values as digests), so `diff` can show old and
// new values without diffing inspected config, which has the image's
// defaults merged in (kubectl's last-applied-configuration).
inline constexpr const char* kAppliedSpec = "dev.stackd.applied-spec";
// Where the stack's manifest comes from (a digest of the manifest's path, or
// of the git URL and path): a stack renamed in the same manifest is found by
// it, whoever runs stackd, on the host or in a container.
inline constexpr const char* kOrigin = "dev.stackd.origin";
// The components of the stack when the container was created
// ("prometheus,grafana,..."): a container missing later that one of these
// names was there before and was removed outside stackd.
inline constexpr const char* kStackComponents = "dev.stackd.stack-components";
// What containers of an earlier stackd carry instead: short digests of each
// part of the spec. Read, never written.
inline constexpr const char* kSpecParts = "dev.stackd.spec-parts";

// A short-lived container that runs a component's own checker (amtool,
// promtool) on a raw config before the component is created: no component
// label, so nothing adopts it; `down` and the next check remove a leftover.
inline constexpr const char* kRole = "dev.stackd.role";
inline constexpr const char* kConfigCheckRole = "config-check";

inline std::map<std::string, std::string> owner_labels(const std::string& stack) {
  return {{kManagedBy, kManagedByValue}, {kStack, stack}};
}

// True when `labels` carry stackd's complete label set for this stack and
// component: only such objects are stopped, removed, adopted or reloaded into.
inline bool owned_by(const std::map<std::string, std::string>& labels, const std::string& stack,
                     const std::string& component) {
  auto has = [&](const char* key, const std::string& value) {
    auto it = labels.find(key);
    return it != labels.end() && it->second == value;
  };
  return !component.empty() && has(kManagedBy, kManagedByValue) && has(kStack, stack) && has(kComponent, component);
}

// True for this stack's config-check container (kConfigCheckRole).
inline bool config_check_of(const std::map<std::string, std::string>& labels, const std::string& stack) {
  auto has = [&](const char* key, const std::string& value) {
    auto it = labels.find(key);
    return it != labels.end() && it->second == value;
  };
  return has(kManagedBy, kManagedByValue) && has(kStack, stack) && has(kRole, kConfigCheckRole) &&
         !labels.contains(kComponent);
}

}  // namespace stackd::labels
