#include "controller/snapshot/engine_facts.hpp"

namespace stackd::snapshot {

bool needs_engine_facts(const manifest::Manifest& m) {
  const bool host_label = m.prometheus.enabled && !m.prometheus.external_labels.count("host");
  const bool gpu_auto = m.gpu.wanted() && m.gpu.vendor == manifest::GpuVendor::Auto;
  return host_label || gpu_auto;
}

boost::asio::awaitable<void> EngineFactsLookup::resolve(const manifest::Manifest& m,
                                                        std::optional<docker::EngineInfo>& facts) {
  if (!docker_ || !needs_engine_facts(m)) co_return;
  if (!known_) {
    try {
      known_ = co_await docker_->info();
    } catch (const std::exception&) {
      co_return;  // no engine: nothing to render with; the apply says why
    }
  }
  facts = known_;
}

}  // namespace stackd::snapshot
