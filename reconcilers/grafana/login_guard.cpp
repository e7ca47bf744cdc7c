#include "reconcilers/grafana/login_guard.hpp"

#include "common/sha256.hpp"

namespace stackd::grafana {

std::string LoginGuard::key(const std::string& base_url, const std::string& user, const std::string& secret) {
  // Length-prefixed so ("ab","c") and ("a","bc") differ.
  std::string material;
  for (const std::string* part : {&base_url, &user, &secret})
    material += std::to_string(part->size()) + ":" + *part + ";";
  return sha256_hex(material);
}

std::optional<std::string> LoginGuard::refused(const std::string& key) const {
  auto it = rejected_.find(key);
  if (it == rejected_.end() || clock_.now() - it->second.at >= retry_after_) return std::nullopt;
  return it->second.message;
}

void LoginGuard::rejected(const std::string& key, std::string message) {
  rejected_[key] = Rejection{clock_.now(), std::move(message)};
}

runtime::SteadyTime LoginGuard::retry_at(const std::string& key) const {
  auto it = rejected_.find(key);
  if (it == rejected_.end()) return clock_.now();
  return std::max(clock_.now(), it->second.at + retry_after_);
}

}  // namespace stackd::grafana
