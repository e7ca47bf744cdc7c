#include "reconcilers/live_config/image_check.hpp"

#include <cctype>
#include <exception>
#include <stdexcept>

#include "api/v1alpha1/labels.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"

namespace stackd::live_config {

namespace net = boost::asio;

std::string check_container_name(const ImageCheck& check) {
  return check.stack + "-" + check.component + "-config-check";
}

nlohmann::json check_container_body(const ImageCheck& check) {
  auto labels = labels::owner_labels(check.stack);
  labels[kRoleLabel] = kConfigCheckRole;
  nlohmann::json body = {{"Image", check.image},
                         {"Entrypoint", check.argv},
                         {"Cmd", nlohmann::json::array()},
                         {"Labels", labels},
                         {"NetworkDisabled", true},
                         {"HostConfig", {{"NetworkMode", "none"}, {"RestartPolicy", {{"Name", "no"}}}}}};
  return body;
}

namespace {

bool is_leftover_check(const docker::Labels& labels, const std::string& stack) {
  return labels::config_check_of(labels, stack);
}

net::awaitable<std::string> create(docker::Api& docker, const ImageCheck& check) {
  const auto name = check_container_name(check);
  try {
    co_return co_await docker.create_container(name, check_container_body(check));
  } catch (const docker::DockerError& e) {
    if (!e.conflict()) throw;
  }
  // The name is taken: an interrupted check of this stack is removed; anything
  // else is not ours to touch.
  auto held = co_await docker.inspect_container(name);
  if (held && !is_leftover_check(held->labels, check.stack))
    throw docker::DockerError(409, "cannot check the " + check.component + " configuration: a container named " +
                                       name + " exists and is not stackd's config check of stack " + check.stack);
  if (held) co_await docker.remove_container(held->id, true);
  co_return co_await docker.create_container(name, check_container_body(check));
}

net::awaitable<CheckVerdict> run(docker::Api& docker, const ImageCheck& check, const std::string& id) {
  if (!check.files.empty()) co_await docker.put_archive(id, "/", make_tar(check.files));
  co_await docker.start_container(id);
  CheckVerdict v;
  v.exit_code = co_await docker.wait_container(id, check.timeout);
  v.output = co_await docker.logs(id, 200);
  v.passed = v.exit_code == 0;
  co_return v;
}

}  // namespace

net::awaitable<CheckVerdict> check_in_image(docker::Api& docker, ImageCheck check) {
  auto id = co_await create(docker, check);
  std::exception_ptr failure;
  CheckVerdict verdict;
  try {
    verdict = co_await run(docker, check, id);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await docker.remove_container(id, true);
  if (failure) std::rethrow_exception(failure);
  co_return verdict;
}

net::awaitable<CheckVerdict> check_live_set_in_image(docker::Api& docker, std::string stack, std::string image,
                                                     desired::LiveFileSet set) {
  const auto* policy = policy_for(set.kind);
  if (!policy) throw std::invalid_argument("this set of live files has no checker");
  std::string component = policy->component;
  for (auto& c : component) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ImageCheck check{.stack = std::move(stack),
                   .component = std::move(component),
                   .image = std::move(image),
                   .argv = policy->check_command(set.dir),
                   .files = std::move(set.files)};
  co_return co_await check_in_image(docker, std::move(check));
}

}  // namespace stackd::live_config
