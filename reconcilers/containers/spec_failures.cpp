#include "reconcilers/containers/spec_failures.hpp"

#include <algorithm>

namespace stackd::containers {

const SpecFailures::Failure* SpecFailures::holding(const std::string& component, const std::string& spec_hash,
                                                    runtime::SteadyTime now) const {
  auto it = failures_.find(component);
  if (it == failures_.end() || it->second.spec_hash != spec_hash || now >= it->second.retry_at) return nullptr;
  return &it->second;
}

runtime::Duration SpecFailures::failed(const std::string& component, const std::string& spec_hash, std::string reason,
                                       std::string message, runtime::SteadyTime now) {
  auto& f = failures_[component];
  f.count = f.spec_hash == spec_hash ? f.count + 1 : 1;
  f.spec_hash = spec_hash;
  f.reason = std::move(reason);
  f.message = std::move(message);
  runtime::Duration wait = kFirstWait;
  for (int i = 1; i < f.count && wait < kLongestWait; ++i) wait *= 2;
  wait = std::min(wait, kLongestWait);
  f.retry_at = now + wait;
  return wait;
}

}  // namespace stackd::containers
