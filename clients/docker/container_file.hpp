#pragma once
// One file's content inside a container (GET /containers/{id}/archive of the
// file: a tar with one member), or nullopt when the container or the file is
// not there. Works on stopped containers too.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "clients/docker/docker_api.hpp"

namespace stackd::docker {

boost::asio::awaitable<std::optional<std::string>> read_container_file(Api& docker, const std::string& container,
                                                                       const std::string& path);

// The same, read again only when a path stat (HEAD, about a millisecond)
// shows the file changed or the container is another one: a download runs a
// tar in the engine (tens of milliseconds).
class ContainerFileReader {
 public:
  explicit ContainerFileReader(std::string path) : path_(std::move(path)) {}
  boost::asio::awaitable<std::optional<std::string>> read(Api& docker, const std::string& container_id);

 private:
  std::string path_;
  struct Read {
    std::string container_id;
    std::int64_t size = 0, mtime = 0;
    std::string content;
  };
  std::optional<Read> last_;
};

}  // namespace stackd::docker
