#include "reconcilers/prometheus/prometheus_config_reconciler.hpp"

#include <spdlog/spdlog.h>

#include "reconcilers/containers/plan.hpp"
#include "reconcilers/live_config/reload_failure.hpp"
#include "reconcilers/live_config/running_container.hpp"

namespace stackd::prometheus {

using runtime::ReconcileError;
using Kind = ReloadOutcome::Kind;

namespace {

const containers::ContainerSpec* prometheus_spec(const containers::DesiredState& desired) {
  for (const auto& c : desired.containers)
    if (c.component == containers::kPrometheus) return &c;
  return nullptr;
}

}  // namespace

ConfigReconciler::ConfigReconciler(docker::Api& docker, metrics::Registry& registry,
                                   std::shared_ptr<containers::DesiredStateCache> cache, ReloadOptions options)
    : docker_(docker),
      reloads_(registry.counter("stackd_prometheus_reload_total", "Prometheus configuration reloads by result.",
                                {"result"})),
      cache_(std::move(cache)),
      options_(options) {
  for (auto k : {Kind::Reloaded, Kind::Rejected, Kind::RolledBack, Kind::NotReady, Kind::Unchanged})
    reloads_.with({live_config::to_string(k)});
}

std::vector<std::string> ConfigReconciler::keys(const manifest::Snapshot& snapshot) const {
  if (!prometheus_spec(*cache_->get(snapshot))) return {};
  return {kKey};
}

std::vector<std::string> ConfigReconciler::keys_for_component(std::string_view component) const {
  if (component == containers::kPrometheus) return {kKey};
  return {};
}

void ConfigReconciler::report(runtime::ComponentReport r) {
  std::lock_guard lock(mu_);
  last_ = std::move(r);
}

boost::asio::awaitable<runtime::Result> ConfigReconciler::reconcile(const runtime::Request&,
                                                                    runtime::Context& context) {
  auto desired = cache_->get(*context.snapshot);
  const auto* spec = prometheus_spec(*desired);
  if (!spec) co_return runtime::Result{};
  runtime::ComponentReport r{.name = kKey, .last_reconcile_time = context.clock.system_now()};

  auto info = co_await live_config::running_container(docker_, spec->name, desired->stack, containers::kPrometheus, r);
  if (!info) {
    report(r);
    throw ReconcileError("PrometheusNotRunning", r.last_error);
  }
  r.container_id = info->id;

  const std::vector<TarFile>* loaded = loaded_ && loaded_->container_id == info->id ? &loaded_->files : nullptr;
  const auto endpoint = http::Endpoint::parse(spec->api_url);
  auto outcome = co_await reload_config(docker_, info->id, endpoint, spec->live_files, options_, loaded);
  if (outcome.loaded) loaded_ = Loaded{info->id, std::move(*outcome.loaded)};
  r.state = live_config::to_string(outcome.kind);
  reloads_.with({r.state}).inc();
  if (outcome.kind == Kind::Unchanged || outcome.kind == Kind::Reloaded) {
    if (outcome.kind == Kind::Reloaded) {
      if (context.progress) context.progress("prometheus: configuration reloaded");
      else spdlog::info("prometheus: configuration reloaded");
    }
    report(r);
    co_return runtime::Result{};
  }
  r.last_error = outcome.message;
  report(r);
  throw live_config::reload_failure("Prometheus", outcome);
}

void ConfigReconciler::forget(const std::string&) {
  std::lock_guard lock(mu_);
  last_.reset();
  loaded_.reset();
}

void ConfigReconciler::describe(std::vector<runtime::ComponentReport>& out) const {
  std::lock_guard lock(mu_);
  if (last_) out.push_back(*last_);
}

}  // namespace stackd::prometheus
