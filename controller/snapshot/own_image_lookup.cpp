#include "controller/snapshot/own_image_lookup.hpp"

#include "clients/docker/self_container.hpp"

namespace stackd::snapshot {

bool needs_own_image(const manifest::Manifest& m) {
  return m.ollama.exporter.enabled && m.ollama.exporter.image.empty();
}

boost::asio::awaitable<void> OwnImageLookup::resolve(const manifest::Manifest& m, std::string& own_image) {
  if (!docker_ || done_ || !own_image.empty() || !needs_own_image(m)) co_return;
  done_ = true;  // once: the container stackd runs in does not change
  try {
    if (auto image = co_await docker::own_image(*docker_)) own_image = *image;
  } catch (const std::exception&) {
    // Not in a container, or the engine is down: the fallback rule applies.
  }
}

}  // namespace stackd::snapshot
