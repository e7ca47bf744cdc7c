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
// Short digests of each part of the spec, so `diff` can say what changed
// without diffing inspected config (which has image defaults merged in).
inline constexpr const char* kSpecParts = "dev.stackd.spec-parts";

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

}  // namespace stackd::labels
