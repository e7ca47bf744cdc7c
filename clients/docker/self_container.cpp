#include "clients/docker/self_container.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

namespace stackd::docker {

namespace {

constexpr std::size_t kMaxEvidence = 1024 * 1024;

std::string read_bounded(const char* path) {
  std::ifstream in(path);
  std::string out(kMaxEvidence, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return out;
}

void add_all(std::vector<std::string>& out, const std::string& text, const std::regex& re) {
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    std::string id = (*it)[1];
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
}

}  // namespace

SelfEvidence SelfEvidence::of_this_process() {
  SelfEvidence e;
  e.mountinfo = read_bounded("/proc/self/mountinfo");
  e.cgroup = read_bounded("/proc/self/cgroup");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) e.hostname = host;
  return e;
}

std::vector<std::string> container_id_candidates(const SelfEvidence& e) {
  std::vector<std::string> out;
  add_all(out, e.mountinfo, std::regex("/containers/([0-9a-f]{64})/"));
  // docker-<id>.scope (systemd driver), /docker/<id> (cgroupfs driver).
  add_all(out, e.cgroup, std::regex("(?:docker-|/docker/)([0-9a-f]{64})"));
  static const std::regex short_id("^[0-9a-f]{12}$");
  if (std::regex_match(e.hostname, short_id) &&
      std::none_of(out.begin(), out.end(), [&](const std::string& id) { return id.starts_with(e.hostname); }))
    out.push_back(e.hostname);
  return out;
}

boost::asio::awaitable<std::optional<std::string>> own_image(Api& docker, const SelfEvidence& evidence) {
  for (const auto& id : container_id_candidates(evidence)) {
    auto info = co_await docker.inspect_container(id);
    // The engine resolves names and id prefixes; only an id match is us.
    if (!info || !info->id.starts_with(id)) continue;
    co_return info->image_ref.empty() ? info->image_id : info->image_ref;
  }
  co_return std::nullopt;
}

}  // namespace stackd::docker
