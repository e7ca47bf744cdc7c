#include "clients/docker/self_container.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <string_view>

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

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Every 64-hex-digit id that follows one of `markers` in `text` (and is
// followed by `after`), in the order they appear; one pass over the text.
void add_ids(std::vector<std::string>& out, std::string_view text, std::initializer_list<std::string_view> markers,
             std::string_view after = {}) {
  constexpr std::size_t kIdLength = 64;
  for (std::size_t from = 0;;) {
    std::size_t at = std::string_view::npos, length = 0;
    for (auto m : markers)
      if (auto found = text.find(m, from); found < at) at = found, length = m.size();
    if (at == std::string_view::npos) return;
    auto id = text.substr(at + length, kIdLength);
    if (id.size() == kIdLength && is_lower_hex(id) && text.substr(at + length + kIdLength).starts_with(after)) {
      if (std::find(out.begin(), out.end(), id) == out.end()) out.emplace_back(id);
      from = at + length + kIdLength + after.size();
    } else {
      from = at + 1;
    }
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
  add_ids(out, e.mountinfo, {"/containers/"}, "/");
  // docker-<id>.scope (systemd driver), /docker/<id> (cgroupfs driver).
  add_ids(out, e.cgroup, {"docker-", "/docker/"});
  if (e.hostname.size() == 12 && is_lower_hex(e.hostname) &&
      std::none_of(out.begin(), out.end(), [&](const std::string& id) { return id.starts_with(e.hostname); }))
    out.push_back(e.hostname);
  return out;
}

boost::asio::awaitable<std::optional<ContainerInfo>> own_container(Api& docker, const SelfEvidence& evidence) {
  for (const auto& id : container_id_candidates(evidence)) {
    auto info = co_await docker.inspect_container(id);
    // The engine resolves names and id prefixes; only an id match is us.
    if (info && info->id.starts_with(id)) co_return info;
  }
  co_return std::nullopt;
}

boost::asio::awaitable<std::optional<std::string>> own_image(Api& docker, const SelfEvidence& evidence) {
  auto info = co_await own_container(docker, evidence);
  if (!info) co_return std::nullopt;
  co_return info->image_ref.empty() ? info->image_id : info->image_ref;
}

}  // namespace stackd::docker
