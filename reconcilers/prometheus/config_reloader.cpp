#include "reconcilers/prometheus/config_reloader.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "clients/prometheus/prometheus_client.hpp"
#include "common/sha256.hpp"
#include "reconcilers/prometheus/prometheus_config.hpp"

namespace stackd::prometheus {
namespace {

using Kind = ReloadOutcome::Kind;

std::string live_prefix() { return std::string(kConfigDir).substr(1) + "/"; }     // "etc/prometheus/stackd/"
std::string staging_prefix() { return std::string(kStagingDir).substr(1) + "/"; }  // "etc/prometheus/stackd-staging/"
std::string marker_member() { return live_prefix() + kLoadedMarker; }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<TarFile> restage(const std::vector<TarFile>& files) {
  std::vector<TarFile> out;
  for (const auto& f : files) {
    TarFile s = f;
    s.path = staging_prefix() + f.path.substr(live_prefix().size());
    out.push_back(std::move(s));
  }
  return out;
}

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(net::use_awaitable);
}

// Waits until the reload gauges say the last reload succeeded after `before`.
// Returns nullopt when confirmed, else what Prometheus last reported.
net::awaitable<std::optional<std::string>> confirm_reload(Client& prom, double before, const ReloadOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.confirm_timeout;
  std::string last = "no answer from /metrics";
  for (;;) {
    try {
      auto gauges = co_await prom.reload_gauges();
      if (gauges.last_reload_successful && gauges.last_success_timestamp > before) co_return std::nullopt;
      last = gauges.last_reload_successful ? "prometheus_config_last_reload_success_timestamp_seconds did not advance"
                                           : "prometheus_config_last_reload_successful is 0";
    } catch (const std::exception& e) {
      last = e.what();
    }
    if (std::chrono::steady_clock::now() >= deadline) co_return last;
    co_await sleep_for(options.poll_interval);
  }
}

// POST /-/reload and confirm. nullopt = confirmed; else the failure.
struct ReloadAttempt {
  Kind kind = Kind::Reloaded;  // Reloaded, NotReady or RolledBack (= failed)
  std::string message;
};

net::awaitable<ReloadAttempt> reload_and_confirm(Client& prom, double before, const ReloadOptions& options) {
  auto result = co_await prom.reload(options.reload_timeout);
  ReloadAttempt attempt;
  switch (result.kind) {
    case ReloadResult::Kind::Ok: {
      auto failure = co_await confirm_reload(prom, before, options);
      if (failure) {
        attempt.kind = Kind::RolledBack;
        attempt.message = "POST /-/reload answered 200 but the reload is not confirmed: " + *failure;
      }
      co_return attempt;
    }
    case ReloadResult::Kind::NotReady:
      attempt.kind = Kind::NotReady;
      attempt.message = result.message;
      co_return attempt;
    case ReloadResult::Kind::LifecycleDisabled:
    case ReloadResult::Kind::Failed:
      attempt.kind = Kind::RolledBack;
      attempt.message = result.message;
      co_return attempt;
  }
  co_return attempt;
}

}  // namespace

const char* to_string(ReloadOutcome::Kind kind) {
  switch (kind) {
    case Kind::Unchanged: return "unchanged";
    case Kind::Reloaded: return "reloaded";
    case Kind::Rejected: return "rejected";
    case Kind::RolledBack: return "rolled-back";
    case Kind::NotReady: return "not-ready";
  }
  return "?";
}

std::string files_hash(const std::vector<TarFile>& files) {
  Sha256 h;
  const std::string sep(1, '\xff');
  for (const auto& f : files) h.update(sep).update(f.path).update(sep).update(f.content);
  return h.hex();
}

std::vector<TarFile> rebase_archive_members(std::vector<TarFile> files, const std::string& container_dir) {
  // Docker names members after the last path component of the requested dir.
  const auto slash = container_dir.find_last_of('/');
  const std::string parent = container_dir.substr(1, slash == 0 ? 0 : slash);  // "etc/prometheus/"
  for (auto& f : files) f.path = parent + f.path;
  return files;
}

bool holds_all(const std::vector<TarFile>& held, const std::vector<TarFile>& desired) {
  for (const auto& d : desired) {
    bool found = false;
    for (const auto& h : held) found = found || (h.path == d.path && h.content == d.content);
    if (!found) return false;
  }
  return true;
}

net::awaitable<ReloadOutcome> reload_config(docker::Api& docker, const std::string& id,
                                            const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                            ReloadOptions options) {
  for (const auto& f : desired) {
    if (!starts_with(f.path, live_prefix()) || f.path.find("..") != std::string::npos || f.path == marker_member())
      throw std::invalid_argument("reload_config: file " + f.path + " is not under " + kConfigDir);
  }
  Client prom(co_await net::this_coro::executor, endpoint);
  const std::string desired_hash = files_hash(desired);

  // 1. What the container holds now, and what Prometheus was confirmed to load.
  std::vector<TarFile> held;
  std::string loaded_hash;
  if (auto archive = co_await docker.get_archive(id, kConfigDir)) {
    for (auto& f : rebase_archive_members(read_tar(*archive), kConfigDir)) {
      if (f.path == marker_member()) {
        loaded_hash = f.content;
      } else {
        held.push_back(std::move(f));
      }
    }
  }
  if (holds_all(held, desired) && loaded_hash == desired_hash) {
    ReloadOutcome unchanged{Kind::Unchanged, ""};
    co_return unchanged;
  }

  // 2. Stage and validate with the promtool that ships with this Prometheus.
  co_await docker.put_archive(id, "/", make_tar(restage(desired)));
  const std::vector<std::string> check = {"/bin/promtool", "check", "config", std::string(kStagingDir) + "/prometheus.yml"};
  auto checked = co_await docker.exec(id, check, options.promtool_timeout);
  if (checked.exit_code != 0) {
    // promtool names the staged copies; name the files as they would be live.
    std::string output = checked.output;
    for (std::size_t p; (p = output.find(kStagingDir)) != std::string::npos;)
      output.replace(p, std::string(kStagingDir).size(), kConfigDir);
    ReloadOutcome rejected{Kind::Rejected,
                           "promtool check config (exit " + std::to_string(checked.exit_code) + "): " + output};
    spdlog::warn("prometheus config rejected, live files kept: {}", rejected.message);
    co_return rejected;
  }

  // 3. Only swap into a Prometheus that answers: a starting one would load the
  //    files at some later moment we could not confirm.
  double before = 0;
  try {
    before = (co_await prom.reload_gauges()).last_success_timestamp;
  } catch (const std::exception& e) {
    ReloadOutcome not_ready{Kind::NotReady, "Prometheus at " + endpoint.describe() + " is not answering: " + e.what()};
    co_return not_ready;
  }
  co_await docker.put_archive(id, "/", make_tar(desired));
  auto attempt = co_await reload_and_confirm(prom, before, options);
  if (attempt.kind == Kind::Reloaded) {
    std::vector<TarFile> marker = {TarFile{marker_member(), desired_hash}};
    co_await docker.put_archive(id, "/", make_tar(marker));
    ReloadOutcome reloaded{Kind::Reloaded, ""};
    co_return reloaded;
  }
  if (attempt.kind == Kind::NotReady) {
    // The files are swapped but not confirmed loaded; the marker still names
    // the old ones, so the next call reloads again.
    ReloadOutcome not_ready{Kind::NotReady, attempt.message};
    co_return not_ready;
  }

  // 4. Prometheus refused what promtool accepted: restore the last good files.
  spdlog::warn("prometheus reload failed, rolling back: {}", attempt.message);
  ReloadOutcome rolled{Kind::RolledBack, attempt.message};
  if (held.empty()) {
    rolled.message += " (no previous files to restore)";
    co_return rolled;
  }
  try {
    before = (co_await prom.reload_gauges()).last_success_timestamp;
  } catch (const std::exception&) {
  }
  co_await docker.put_archive(id, "/", make_tar(held));
  auto restore = co_await reload_and_confirm(prom, before, options);
  if (restore.kind != Kind::Reloaded) {
    rolled.message += "; reloading the restored files failed too: " + restore.message;
  } else {
    std::vector<TarFile> marker = {TarFile{marker_member(), files_hash(held)}};
    co_await docker.put_archive(id, "/", make_tar(marker));
  }
  co_return rolled;
}

}  // namespace stackd::prometheus
