#include "reconcilers/infrastructure/infrastructure_reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/sha256.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"

namespace stackd::infrastructure {

namespace net = boost::asio;
namespace fs = std::filesystem;

InfrastructureReconciler::InfrastructureReconciler(docker::Api& docker,
                                                   std::shared_ptr<containers::DesiredStateCache> cache)
    : docker_(docker), cache_(std::move(cache)) {}

std::vector<std::string> InfrastructureReconciler::keys(const manifest::Snapshot&) const { return {"infrastructure"}; }

std::vector<std::string> InfrastructureReconciler::keys_for_component(std::string_view) const {
  return {"infrastructure"};
}

namespace {
fs::path record_of(const fs::path& state_dir, const std::string& origin) {
  return state_dir / "stacks" / sha256_hex(origin).substr(0, 24);
}
}  // namespace

std::vector<std::string> read_managed_stacks(const fs::path& state_dir, const std::string& origin) {
  std::vector<std::string> stacks;
  std::ifstream in(record_of(state_dir, origin));
  for (std::string line; std::getline(in, line) && stacks.size() < 1024;)
    if (!line.empty() && line.size() <= 253 && std::find(stacks.begin(), stacks.end(), line) == stacks.end())
      stacks.push_back(line);
  return stacks;
}

void write_managed_stacks(const fs::path& state_dir, const std::string& origin, const std::vector<std::string>& stacks) {
  auto record = record_of(state_dir, origin);
  fs::create_directories(record.parent_path());
  fs::permissions(record.parent_path(), fs::perms::owner_all);
  auto tmp = record;
  tmp += ".tmp";
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& s : stacks) out << s << "\n";
    out.close();  // a full disk shows only when the buffer is written
    if (!out) {
      // The stream keeps no error code; the failed open(2) or write(2) left it in errno.
      const std::string why = errno ? std::strerror(errno) : "write failed";
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error("cannot record the stacks this manifest manages in " + tmp.string() + ": " + why);
    }
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(tmp, record);  // atomic: a crash leaves the old list or the new one
}

std::vector<std::string> record_managed_stack(const fs::path& state_dir, const std::string& origin,
                                              const std::string& stack) {
  if (state_dir.empty()) return {stack};  // no record: no other stack is known
  auto stacks = read_managed_stacks(state_dir, origin);
  if (std::find(stacks.begin(), stacks.end(), stack) != stacks.end()) return stacks;
  stacks.push_back(stack);
  write_managed_stacks(state_dir, origin, stacks);
  return stacks;
}

net::awaitable<runtime::Result> InfrastructureReconciler::reconcile(const runtime::Request&, runtime::Context& context) {
  const auto& snapshot = *context.snapshot;
  auto desired = cache_->get(snapshot);
  const fs::path state_dir = snapshot.state_dir;

  // Pinning the snapshot recorded this stack; again here in case the record
  // was lost since, before anything of it is created.
  auto stacks = record_managed_stack(state_dir, snapshot.source.origin, desired->stack);

  auto plan = co_await containers::make_infrastructure_plan(docker_, *desired);
  containers::ApplyOptions options;
  options.progress = context.progress;
  auto result = co_await containers::apply_plan(docker_, *desired, plan, options);
  std::string error = result.first_error();

  // Stacks this host ran under another name: their objects go (volumes stay).
  std::vector<std::string> kept{desired->stack};
  for (const auto& old : stacks) {
    if (old == desired->stack) continue;
    auto down = co_await containers::make_down_plan(docker_, old, /*remove_volumes=*/false);
    if (!down.changes.empty()) spdlog::info("stack {} was renamed to {}: removing its old objects", old, desired->stack);
    auto removed = co_await containers::apply_down(docker_, down, options);
    if (!removed.ok()) {
      kept.push_back(old);  // try again next time
      if (error.empty()) error = "removing renamed stack " + old + ": " + removed.first_error();
    }
  }
  if (kept.size() != stacks.size()) write_managed_stacks(state_dir, snapshot.source.origin, kept);
  if (!error.empty()) throw runtime::ReconcileError("ReconcileError", error);
  co_return runtime::Result{};
}

}  // namespace stackd::infrastructure
