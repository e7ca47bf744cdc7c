#pragma once
// What rendering needs to know of the Docker engine: its host name (a box's
// `host` label when spec.prometheus.externalLabels names none) and, for
// spec.gpu.vendor: auto, its runtimes and CDI devices (gpu_facts.hpp).
// Asked once a process (GET /info, about a millisecond), and only for a
// manifest that needs it.
#include <boost/asio/awaitable.hpp>

#include <optional>

#include "api/v1alpha1/manifest.hpp"
#include "clients/docker/docker_api.hpp"

namespace stackd::snapshot {

// True when rendering `m` needs what the engine says of itself.
bool needs_engine_facts(const manifest::Manifest& m);

class EngineFactsLookup {
 public:
  explicit EngineFactsLookup(docker::Api* docker) : docker_(docker) {}
  // For a manifest that needs them, the first time: sets `facts` when the
  // engine answers (an engine that does not answer fails the apply anyway).
  boost::asio::awaitable<void> resolve(const manifest::Manifest& m, std::optional<docker::EngineInfo>& facts);

 private:
  docker::Api* docker_;
  std::optional<docker::EngineInfo> known_;
};

}  // namespace stackd::snapshot
