#pragma once
// The image stackd itself runs from, which the Ollama exporter runs from
// when the manifest names no image of its own. Looking it up reads
// /proc/self/mountinfo and /proc/self/cgroup and asks the engine
// (docker::own_image), so it is done once the engine has answered, and
// only for a manifest that needs it: a stack without the exporter never
// pays for it.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/manifest.hpp"
#include "clients/docker/docker_api.hpp"
#include "clients/docker/self_container.hpp"

namespace stackd::snapshot {

// True when `m` runs the Ollama exporter from stackd's own image.
bool needs_own_image(const manifest::Manifest& m);

// The image the exporter runs from when neither the manifest nor stackd's own
// container names one: $STACKD_IMAGE, else stackd:VERSION as the project's
// Dockerfile builds it.
std::string default_exporter_image();

// When `m` runs the exporter from stackd's image, stackd does not run from
// an image (`own_image` empty: not in a container), and the engine lacks the
// default image, which is built locally and cannot be pulled: what to do, in
// one sentence (the command that builds it, the field that names another).
// nullopt otherwise.
boost::asio::awaitable<std::optional<std::string>> missing_exporter_image(docker::Api& docker, const manifest::Manifest& m,
                                                                          const std::string& own_image);

// missing_exporter_image after looking up the image stackd runs from (for
// `validate` and `diff`, which warn).
boost::asio::awaitable<std::optional<std::string>> exporter_image_warning(docker::Api& docker,
                                                                          const manifest::Manifest& m);

class OwnImageLookup {
 public:
  using Evidence = std::function<docker::SelfEvidence()>;
  // `evidence`: what the kernel shows this process (tests give another's).
  explicit OwnImageLookup(docker::Api* docker, Evidence evidence = &docker::SelfEvidence::of_this_process)
      : docker_(docker), evidence_(std::move(evidence)) {}
  // For a manifest that needs it, until the engine has answered once: sets
  // `own_image` (SnapshotOptions::own_image) when the engine knows the
  // container stackd runs in. An engine error leaves it unset and the next
  // call asks again (a daemon may start before the engine answers).
  // Called between loading a manifest and building its snapshot.
  boost::asio::awaitable<void> resolve(const manifest::Manifest& m, std::string& own_image);

 private:
  docker::Api* docker_;
  Evidence evidence_;
  bool done_ = false;
};

}  // namespace stackd::snapshot
