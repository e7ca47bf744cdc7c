#include "reconcilers/alertmanager/alertmanager_reconciler.hpp"

#include "reconcilers/alertmanager/alertmanager_config.hpp"
#include "reconcilers/alertmanager/alertmanager_reloader.hpp"
#include "reconcilers/live_config/reload_failure.hpp"
#include "reconcilers/live_config/running_container.hpp"

namespace stackd::alertmanager {

using runtime::ReconcileError;
using Kind = live_config::ReloadOutcome::Kind;

ConfigReconciler::ConfigReconciler(docker::Api& docker, metrics::Registry& registry)
    : docker_(docker),
      reloads_(registry.counter("stackd_alertmanager_reload_total", "Alertmanager configuration reloads by result.",
                                {"result"})) {
  for (auto k : {Kind::Reloaded, Kind::Rejected, Kind::RolledBack, Kind::NotReady, Kind::Unchanged})
    reloads_.with({live_config::to_string(k)});
}

std::vector<std::string> ConfigReconciler::keys_for_component(std::string_view component) const {
  if (component == "alertmanager") return {kKey};
  return {};
}

std::string api_url(const manifest::Manifest& m) {
  const auto& listen = m.alertmanager.listen;
  std::string host = listen == "0.0.0.0" || listen == "::" ? "127.0.0.1" : listen;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(m.alertmanager.port);
}

std::vector<std::string> ConfigReconciler::keys(const manifest::Snapshot& snapshot) const {
  if (!snapshot.manifest.alertmanager.enabled) return {};
  return {kKey};
}

void ConfigReconciler::report(runtime::ComponentReport r) {
  std::lock_guard lock(mu_);
  last_ = std::move(r);
}

boost::asio::awaitable<runtime::Result> ConfigReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& m = context.snapshot->manifest;
  runtime::ComponentReport r{.name = "alertmanager-config", .last_reconcile_time = context.clock.system_now()};
  if (!m.alertmanager.enabled) {
    report(r);
    co_return runtime::Result{};
  }
  const std::string name = m.name + "-alertmanager";
  auto info = co_await live_config::running_container(docker_, name, m.name, "alertmanager", r);
  if (!info) {
    report(r);
    throw ReconcileError("AlertmanagerNotRunning", r.last_error);
  }
  r.container_id = info->id;
  const auto files = render_files(m.alertmanager);
  const auto endpoint = http::Endpoint::parse(api_url(m));
  auto outcome = co_await reload_config(docker_, info->id, endpoint, files);
  r.state = live_config::to_string(outcome.kind);
  reloads_.with({r.state}).inc();
  if (outcome.kind == Kind::Unchanged || outcome.kind == Kind::Reloaded) {
    if (outcome.kind == Kind::Reloaded && context.progress) context.progress("alertmanager: configuration reloaded");
    report(r);
    co_return runtime::Result{};
  }
  r.last_error = outcome.message;
  report(r);
  throw live_config::reload_failure("Alertmanager", outcome);
}

void ConfigReconciler::forget(const std::string&) {
  std::lock_guard lock(mu_);
  last_.reset();
}

void ConfigReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  std::lock_guard lock(mu_);
  if (last_) out.push_back(*last_);
}

}  // namespace stackd::alertmanager
