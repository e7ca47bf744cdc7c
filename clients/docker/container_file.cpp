#include "clients/docker/container_file.hpp"

#include "common/tar_archive.hpp"

namespace stackd::docker {

boost::asio::awaitable<std::optional<std::string>> read_container_file(Api& docker, const std::string& container,
                                                                       const std::string& path) {
  auto archive = co_await docker.get_archive(container, path);
  if (!archive) co_return std::nullopt;
  auto members = read_tar(*archive);
  if (members.size() != 1) co_return std::nullopt;
  co_return std::move(members[0].content);
}

boost::asio::awaitable<std::optional<std::string>> ContainerFileReader::read(Api& docker,
                                                                             const std::string& container_id) {
  auto stat = co_await docker.stat_path(container_id, path_);
  if (!stat || stat->is_dir()) co_return std::nullopt;
  if (last_ && last_->container_id == container_id && last_->size == stat->size && last_->mtime == stat->mtime)
    co_return last_->content;
  auto content = co_await read_container_file(docker, container_id, path_);
  if (!content) co_return std::nullopt;
  last_ = Read{container_id, stat->size, stat->mtime, *content};
  co_return content;
}

}  // namespace stackd::docker
