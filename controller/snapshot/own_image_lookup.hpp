#pragma once
// The image stackd itself runs from, which the Ollama exporter runs from
// when the manifest names no image of its own. Looking it up reads
// /proc/self/mountinfo and /proc/self/cgroup and asks the engine
// (docker::own_image), so it is done once, and only for a manifest that
// needs it: a stack without the exporter never pays for it.
#include <boost/asio/awaitable.hpp>

#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "clients/docker/docker_api.hpp"

namespace stackd::snapshot {

// True when `m` runs the Ollama exporter from stackd's own image.
bool needs_own_image(const manifest::Manifest& m);

class OwnImageLookup {
 public:
  explicit OwnImageLookup(docker::Api* docker) : docker_(docker) {}
  // For a manifest that needs it, the first time: sets `own_image`
  // (SnapshotOptions::own_image) when the engine knows the container stackd
  // runs in. Called between loading a manifest and building its snapshot.
  boost::asio::awaitable<void> resolve(const manifest::Manifest& m, std::string& own_image);

 private:
  docker::Api* docker_;
  bool done_ = false;
};

}  // namespace stackd::snapshot
