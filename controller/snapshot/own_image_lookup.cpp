#include "controller/snapshot/own_image_lookup.hpp"

#include "clients/docker/self_container.hpp"

#include <cstdlib>

namespace stackd::snapshot {

bool needs_own_image(const manifest::Manifest& m) {
  return m.ollama.exporter.enabled && m.ollama.exporter.image.empty();
}

std::string default_exporter_image() {
  if (const char* self = std::getenv("STACKD_IMAGE"); self && *self) return self;
  return std::string("stackd:") + STACKD_VERSION;
}

boost::asio::awaitable<std::optional<std::string>> missing_exporter_image(docker::Api& docker, const manifest::Manifest& m,
                                                                          const std::string& own_image) {
  if (!needs_own_image(m) || !own_image.empty()) co_return std::nullopt;
  const auto image = default_exporter_image();
  // A name with a registry or namespace can be pulled; the default is built here.
  if (image.find('/') != std::string::npos || co_await docker.image_exists(image)) co_return std::nullopt;
  co_return "the Ollama exporter runs from stackd's image, " + image +
      ", which is not on the Docker engine (it is built from this repository, not pulled): build it with "
      "scripts/build-stackd-image.sh " + image + ", or name another image in spec.ollama.exporter.image";
}

boost::asio::awaitable<void> OwnImageLookup::resolve(const manifest::Manifest& m, std::string& own_image) {
  if (!docker_ || done_ || !own_image.empty() || !needs_own_image(m)) co_return;
  try {
    if (auto image = co_await docker::own_image(*docker_, evidence_())) own_image = *image;
    // Answered (in a container or not): the container stackd runs in does not change.
    done_ = true;
  } catch (const std::exception&) {
    // The engine did not answer (a daemon that starts before it): this
    // snapshot takes the fallback rule, the next one asks again.
  }
}

boost::asio::awaitable<std::optional<std::string>> exporter_image_warning(docker::Api& docker,
                                                                          const manifest::Manifest& m) {
  if (!needs_own_image(m)) co_return std::nullopt;
  OwnImageLookup lookup(&docker);
  std::string own;
  co_await lookup.resolve(m, own);
  co_return co_await missing_exporter_image(docker, m, own);
}

}  // namespace stackd::snapshot
