#include "reconcilers/live_config/live_config_reloader.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "clients/http/http_client.hpp"
#include "clients/prometheus/prometheus_client.hpp"  // post_reload, find_sample: what both components serve
#include "common/sha256.hpp"
#include "common/when_all.hpp"

namespace stackd::live_config {
namespace {

using Kind = ReloadOutcome::Kind;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

struct Paths {
  std::string live, staging, marker;  // tar member prefixes relative to "/"
  explicit Paths(const ReloadPolicy& p)
      : live(p.live_dir.substr(1) + "/"), staging(p.staging_dir.substr(1) + "/"), marker(live + kLoadedMarker) {}
};

std::vector<TarFile> restage(const std::vector<TarFile>& files, const Paths& paths) {
  std::vector<TarFile> out;
  for (const auto& f : files) {
    TarFile s = f;
    s.path = paths.staging + f.path.substr(paths.live.size());
    out.push_back(std::move(s));
  }
  return out;
}

// Where the container has a POSIX shell (upstream's Prometheus and
// Alertmanager images are busybox-based), the check and the swap are one
// exec: once the checker passes, the staged files are renamed into the live
// dir. That spares the path of every change a second PUT /archive, which
// costs about 55 ms whatever its size (the engine runs a tar inside the
// container for each). Without a shell, or when a rename fails, the live
// files are uploaded as before.
constexpr const char* kShell = "/bin/sh";
// The exec's exit code when the check passed but a rename failed; a
// checker's own 125 is reported as 1, so it cannot pass for a success.
constexpr int kSwapFailed = 125;

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// sh -c SCRIPT NAME CHECKER-ARGV...: the checker's argv reaches the script
// as its arguments and runs as "$@", so it needs no quoting; the (absolute)
// file paths are quoted into the script.
std::vector<std::string> check_and_swap_command(const ReloadPolicy& policy, const std::vector<TarFile>& desired,
                                                const Paths& paths) {
  std::string script = "\"$@\" || { s=$?; [ \"$s\" -eq " + std::to_string(kSwapFailed) + " ] && s=1; exit \"$s\"; }\n";
  for (const auto& f : desired) {
    const std::string rel = f.path.substr(paths.live.size());
    const std::string from = policy.staging_dir + "/" + rel, to = policy.live_dir + "/" + rel;
    if (auto slash = to.find_last_of('/'); slash > policy.live_dir.size())
      script += "mkdir -p " + shell_quoted(to.substr(0, slash)) + " || exit " + std::to_string(kSwapFailed) + "\n";
    script += "mv -f " + shell_quoted(from) + " " + shell_quoted(to) + " || exit " + std::to_string(kSwapFailed) + "\n";
  }
  std::vector<std::string> argv = {kShell, "-c", script, "stackd-check-and-swap"};
  for (auto& a : policy.check_command(policy.staging_dir)) argv.push_back(std::move(a));
  return argv;
}


struct Gauges {
  bool successful = false;
  double success_timestamp = 0;
};

// The component's own HTTP API: POST /-/reload and its reload gauges.
class Component {
 public:
  Component(net::any_io_executor ex, const http::Endpoint& endpoint, const ReloadPolicy& policy, runtime::Clock& clock)
      : http_(ex, endpoint, http::Limits{.max_body = 8 * 1024 * 1024}), policy_(policy), clock_(clock) {}

  net::awaitable<Gauges> gauges() {
    http::Request req;
    req.target = "/metrics";
    req.timeout = std::chrono::seconds(10);
    auto resp = co_await http_.send(req);
    if (resp.status != 200) throw std::runtime_error("GET /metrics answered " + std::to_string(resp.status));
    auto ok = prometheus::find_sample(resp.body, policy_.successful_gauge);
    auto ts = prometheus::find_sample(resp.body, policy_.timestamp_gauge);
    if (!ok || !ts) throw std::runtime_error(policy_.component + " /metrics has no " + policy_.successful_gauge);
    Gauges g{*ok == 1.0, *ts};
    co_return g;
  }

  struct Reload {
    Kind kind = Kind::Reloaded;  // Reloaded, NotReady or RolledBack (= failed)
    std::string message;
  };

  net::awaitable<Reload> post_reload(std::chrono::milliseconds timeout) {
    using Result = prometheus::ReloadResult::Kind;
    auto answer = co_await prometheus::post_reload(http_, policy_.component, timeout);
    Reload out;
    out.message = answer.message;
    // Refused (403) or failed (500): what the component was given must be undone.
    if (answer.kind == Result::NotReady) out.kind = Kind::NotReady;
    else if (answer.kind != Result::Ok) out.kind = Kind::RolledBack;
    co_return out;
  }

  // Waits until the gauges say the last reload succeeded after `before`.
  // Returns "" when confirmed, else what the component last reported.
  net::awaitable<std::string> confirm(double before, const ReloadOptions& options) {
    const auto deadline = clock_.now() + options.confirm_timeout;
    std::string last = "no answer from /metrics";
    for (;;) {
      try {
        auto g = co_await gauges();
        if (g.successful && g.success_timestamp > before) co_return std::string();
        last = g.successful ? policy_.timestamp_gauge + " did not advance" : policy_.successful_gauge + " is 0";
      } catch (const std::exception& e) {
        last = e.what();
      }
      if (clock_.now() >= deadline) co_return last;
      co_await runtime::sleep_for(clock_, options.poll_interval);
    }
  }

  net::awaitable<Reload> reload_and_confirm(double before, const ReloadOptions& options) {
    auto attempt = co_await post_reload(options.reload_timeout);
    if (attempt.kind != Kind::Reloaded) co_return attempt;
    auto failure = co_await confirm(before, options);
    if (!failure.empty()) {
      attempt.kind = Kind::RolledBack;
      attempt.message = "POST /-/reload answered 200 but the reload is not confirmed: " + failure;
    }
    co_return attempt;
  }

 private:
  http::Client http_;
  const ReloadPolicy& policy_;
  runtime::Clock& clock_;
};

}  // namespace

const char* to_string(ReloadOutcome::Kind kind) {
  switch (kind) {
    case Kind::Unchanged: return "unchanged";
    case Kind::Reloaded: return "reloaded";
    case Kind::Rejected: return "rejected";
    case Kind::RolledBack: return "rolled_back";
    case Kind::NotReady: return "not_ready";
  }
  return "?";
}


bool holds_all(const std::vector<TarFile>& held, const std::vector<TarFile>& desired) {
  for (const auto& d : desired) {
    bool found = false;
    for (const auto& h : held) found = found || (h.path == d.path && h.content == d.content);
    if (!found) return false;
  }
  return true;
}

net::awaitable<LiveFilesSeen> observe_live_files(docker::Api& docker, const std::string& id,
                                                 const std::vector<TarFile>& desired, const ReloadPolicy& policy,
                                                 const std::vector<TarFile>* loaded) {
  const Paths paths(policy);
  const std::string desired_hash = files_hash(desired);
  const TarFile desired_marker = loaded_marker(policy.live_dir, desired);
  LiveFilesSeen seen;

  // 1. Unchanged, by path stats alone: every desired file as delivered and
  //    the marker naming them. A stat is a HEAD the engine answers at once;
  //    a download of the live dir runs a tar in the container.
  //    All stats at once: each is a round trip to the engine.
  std::optional<docker::PathStat> marker;
  std::vector<std::optional<docker::PathStat>> stats(desired.size());
  {
    auto stat_into = [&docker, &id](std::string path, std::optional<docker::PathStat>& out) -> net::awaitable<void> {
      out = co_await docker.stat_path(id, path);
    };
    std::vector<net::awaitable<void>> looks;
    looks.push_back(stat_into("/" + paths.marker, marker));
    for (std::size_t i = 0; i < desired.size(); ++i) looks.push_back(stat_into("/" + desired[i].path, stats[i]));
    co_await when_all(std::move(looks));
  }
  bool held_by_stat = true;
  for (std::size_t i = 0; i < desired.size(); ++i) held_by_stat = held_by_stat && delivered_as(stats[i], desired[i]);
  seen.desired_was_loaded = delivered_as(marker, desired_marker);
  if (held_by_stat && seen.desired_was_loaded) {
    seen.unchanged = true;
    co_return seen;
  }

  // The last good files, restored if the component refuses the new ones:
  // the caller's, while the marker says they are what runs; else what the
  // container holds (a download), which also tells a touched-but-equal file
  // from a changed one.
  if (loaded && delivered_as(marker, loaded_marker(policy.live_dir, *loaded))) {
    seen.held = *loaded;
  } else {
    std::string loaded_hash;
    if (auto archive = co_await docker.get_archive(id, policy.live_dir)) {
      for (auto& f : rebase_archive_members(read_tar(*archive), policy.live_dir)) {
        if (f.path == paths.marker) loaded_hash = f.content;
        else seen.held.push_back(std::move(f));
      }
    }
    seen.desired_was_loaded = loaded_hash == desired_hash;
    seen.unchanged = holds_all(seen.held, desired) && seen.desired_was_loaded;
  }
  co_return seen;
}

net::awaitable<ReloadOutcome> reload_live_files(docker::Api& docker, const std::string& id,
                                                const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                                const ReloadPolicy& policy, runtime::Clock& clock,
                                                ReloadOptions options, const std::vector<TarFile>* loaded) {
  auto seen = co_await observe_live_files(docker, id, desired, policy, loaded);
  co_return co_await reload_live_files(docker, id, endpoint, desired, policy, seen, clock, options);
}

net::awaitable<ReloadOutcome> reload_live_files(docker::Api& docker, const std::string& id,
                                                const http::Endpoint& endpoint, const std::vector<TarFile>& desired,
                                                const ReloadPolicy& policy, const LiveFilesSeen& seen,
                                                runtime::Clock& clock, ReloadOptions options) {
  const Paths paths(policy);
  for (const auto& f : desired) {
    if (!starts_with(f.path, paths.live) || f.path.find("..") != std::string::npos || f.path == paths.marker)
      throw std::invalid_argument("reload_live_files: file " + f.path + " is not under " + policy.live_dir);
  }
  if (seen.unchanged) {
    ReloadOutcome unchanged{Kind::Unchanged, "", desired};
    co_return unchanged;
  }
  Component component(co_await net::this_coro::executor, endpoint, policy, clock);
  const TarFile desired_marker = loaded_marker(policy.live_dir, desired);
  const std::vector<TarFile>& held = seen.held;
  std::optional<docker::PathStat> shell = co_await docker.stat_path(id, kShell);

  // 2. Stage the files and, meanwhile, read the reload gauges (3.): the two
  //    are independent. Then validate with the checker that ships with this
  //    version, and where the container has a shell and the component
  //    answers, swap in the same exec.
  docker::ExecResult checked;
  double before = 0;
  std::optional<std::string> not_answering;
  auto stage = [&]() -> net::awaitable<void> {
    const auto staged = make_tar(restage(desired, paths));
    co_await docker.put_archive(id, "/", staged);
  };
  auto read_gauges = [&]() -> net::awaitable<void> {
    try {
      before = (co_await component.gauges()).success_timestamp;
    } catch (const std::exception& e) {
      not_answering = e.what();
    }
  };
  std::vector<net::awaitable<void>> steps;
  steps.push_back(stage());
  steps.push_back(read_gauges());
  co_await when_all(std::move(steps));
  const bool swap_in_check = shell && !not_answering;
  // Named: GCC 12 mishandles a temporary inside a co_await expression.
  const auto command =
      swap_in_check ? check_and_swap_command(policy, desired, paths) : policy.check_command(policy.staging_dir);
  checked = co_await docker.exec(id, command, options.promtool_timeout);
  bool swapped = swap_in_check && checked.exit_code == 0;
  if (swap_in_check && checked.exit_code == kSwapFailed) {
    spdlog::debug("{}: moving the checked files into place failed ({}); uploading them", policy.component,
                  checked.output);
    checked.exit_code = 0;
  }
  if (checked.exit_code < 0 || checked.exit_code >= 128) {
    // Killed by a signal (137: the container was killed under it) or no
    // exit code: no verdict on the files. Try again, do not wait for an edit.
    ReloadOutcome not_ready{Kind::NotReady, policy.checker + " did not finish (exit " +
                                                std::to_string(checked.exit_code) + "): " + checked.output};
    co_return not_ready;
  }
  if (checked.exit_code != 0) {
    // The checker names the staged copies; name the files as they would be live.
    std::string output = checked.output;
    for (std::size_t p; (p = output.find(policy.staging_dir)) != std::string::npos;)
      output.replace(p, policy.staging_dir.size(), policy.live_dir);
    ReloadOutcome rejected{Kind::Rejected,
                           policy.checker + " (exit " + std::to_string(checked.exit_code) + "): " + output};
    rejected.checker_output = output;
    // The whole output for -v / debug logs; people get the mapped line (the caller's error).
    spdlog::debug("{} config rejected, live files kept: {}", policy.component, rejected.message);
    co_return rejected;
  }

  // 3. Only swap into a component that answers: a starting one would load the
  //    files at some later moment we could not confirm.
  if (not_answering) {
    ReloadOutcome not_ready{Kind::NotReady,
                            policy.component + " at " + endpoint.describe() + " is not answering: " + *not_answering};
    co_return not_ready;
  }
  if (!swapped) {
    const auto live = make_tar(desired);
    co_await docker.put_archive(id, "/", live);
  }
  auto attempt = co_await component.reload_and_confirm(before, options);
  if (attempt.kind == Kind::Reloaded) {
    std::vector<TarFile> confirmed = {desired_marker};
    co_await docker.put_archive(id, "/", make_tar(confirmed));
    ReloadOutcome reloaded{Kind::Reloaded, "", desired};
    co_return reloaded;
  }
  if (attempt.kind == Kind::NotReady) {
    // The files are swapped but not confirmed loaded; the marker still names
    // the old ones, so the next call reloads again.
    ReloadOutcome not_ready{Kind::NotReady, attempt.message};
    co_return not_ready;
  }

  // 4. The component refused what its checker accepted: restore the last good files.
  spdlog::warn("{} reload failed, rolling back: {}", policy.component, attempt.message);
  ReloadOutcome rolled{Kind::RolledBack, attempt.message};
  if (held.empty()) {
    rolled.message += " (no previous files to restore)";
    co_return rolled;
  }
  try {
    before = (co_await component.gauges()).success_timestamp;
  } catch (const std::exception&) {
  }
  co_await docker.put_archive(id, "/", make_tar(held));
  auto restore = co_await component.reload_and_confirm(before, options);
  if (restore.kind != Kind::Reloaded) {
    rolled.message += "; reloading the restored files failed too: " + restore.message;
  } else {
    std::vector<TarFile> confirmed = {loaded_marker(policy.live_dir, held)};
    co_await docker.put_archive(id, "/", make_tar(confirmed));
    rolled.loaded = held;
  }
  co_return rolled;
}

}  // namespace stackd::live_config
