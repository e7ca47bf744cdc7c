#include "reconcilers/ownership/daemon_ownership.hpp"

#include <unistd.h>

#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <fstream>
#include <random>

#include "clients/docker/self_container.hpp"
#include "clients/http/http_client.hpp"

namespace stackd::ownership {

namespace net = boost::asio;

namespace {

// A line of a /proc or /sys file (bounded: these are short).
std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string out(4096, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string random_instance() {
  std::random_device device;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) out += hex[device() % 16];
  return out;
}

net::awaitable<Probe> probe_http(const DaemonRecord& record) {
  auto url = probe_url(record.listen);
  try {
    http::Client client(co_await net::this_coro::executor, http::Endpoint::parse(url));
    http::Request req{.target = "/status", .timeout = std::chrono::seconds(2)};
    auto resp = co_await client.send(req);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    std::string stack = j.is_object() && j["stack"].is_string() ? j["stack"].get<std::string>() : "";
    co_return http_liveness(resp.status, stack, record.stack, "");
  } catch (const std::exception& e) {
    co_return http_liveness(std::nullopt, "", record.stack, url + ": " + e.what());
  }
}

}  // namespace

Observer observe_this_process() {
  Observer o;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) o.host = host.data();
  o.boot_id = read_small_file("/proc/sys/kernel/random/boot_id").value_or("");
  std::array<char, 64> ns{};
  auto n = ::readlink("/proc/self/ns/pid", ns.data(), ns.size() - 1);
  if (n > 0) o.pid_ns.assign(ns.data(), static_cast<std::size_t>(n));
  return o;
}

net::awaitable<std::optional<DaemonRecord>> read_record(docker::Api& docker, const std::string& stack) {
  auto volume = co_await docker.inspect_volume(record_volume(stack));
  if (!volume) co_return std::nullopt;
  co_return from_labels(volume->labels, stack);
}

net::awaitable<Probe> probe(docker::Api& docker, const DaemonRecord& record, const Observer& observer) {
  switch (choose_check(record, observer)) {
    case Check::Container:
      co_return container_liveness(co_await docker.inspect_container(record.container_id));
    case Check::Process:
      co_return process_liveness(read_small_file("/proc/" + std::to_string(record.pid) + "/stat"), record.pid_start);
    case Check::PreviousBoot:
      co_return Probe{Liveness::Gone, "it was recorded before this host's last boot"};
    case Check::Http:
      co_return co_await probe_http(record);
  }
  co_return Probe{};
}

net::awaitable<WriterCheck> check_writer(docker::Api& docker, Verb verb, const std::string& stack, bool force) {
  WriterCheck out;
  out.record = co_await read_record(docker, stack);
  if (out.record) out.probe = co_await probe(docker, *out.record, observe_this_process());
  out.decision = writer_decision(verb, stack, out.record, out.probe, force);
  co_return out;
}

DaemonClaim::DaemonClaim(docker::Api& docker, std::string since, bool force) : docker_(docker), force_(force) {
  auto o = observe_this_process();
  self_.instance = random_instance();
  self_.since = std::move(since);
  self_.version = STACKD_VERSION;
  self_.host = o.host;
  self_.boot_id = o.boot_id;
  self_.pid_ns = o.pid_ns;
  self_.pid = static_cast<long>(::getpid());
  if (auto stat = read_small_file("/proc/self/stat"))
    if (auto st = parse_proc_stat(*stat)) self_.pid_start = st->start;
}

net::awaitable<void> DaemonClaim::claim(const std::string& stack, const std::string& listen) {
  if (!looked_up_container_) {
    if (auto container = co_await docker::own_container(docker_)) {
      self_.container_id = container->id;
      self_.container_name = container->name;
    }
    looked_up_container_ = true;
  }
  const std::string held = self_.stack;
  const std::string name = record_volume(stack);
  DaemonRecord mine = self_;
  mine.stack = stack;
  mine.listen = listen;

  auto volume = co_await docker_.inspect_volume(name);
  auto existing = volume ? from_labels(volume->labels, stack) : std::nullopt;
  if (volume && !existing)
    throw ClaimRefused("stackd run: cannot record that this daemon manages stack " + stack + ": a volume named " +
                       name + " exists without stackd's labels for it (stackd leaves it alone; rename or remove it)");
  bool write = !existing;
  if (existing && existing->instance == self_.instance) {
    write = existing->listen != listen;  // labels are fixed: a new address is a new record
  } else if (existing) {
    if (held == stack)
      throw ClaimRefused("stack " + stack + " was taken over by another stackd daemon " + describe(*existing) +
                         "; this daemon no longer holds it");
    auto p = co_await probe(docker_, *existing, observe_this_process());
    auto decision = claim_decision(stack, existing, p, self_.instance, force_);
    if (!decision.proceed) throw ClaimRefused(decision.message);
    if (!decision.message.empty()) spdlog::warn("{}", decision.message);
    write = true;
  }
  if (write) {
    if (existing) co_await docker_.remove_volume(name);
    co_await docker_.create_volume(name, to_labels(mine));
    // The engine answers a create of a taken name with the existing volume:
    // reading it back tells who won a claim made at the same moment.
    auto now = co_await read_record(docker_, stack);
    if (!now || now->instance != self_.instance)
      throw ClaimRefused("stackd run: another stackd daemon claimed stack " + stack + " at the same moment" +
                         (now ? ": " + describe(*now) : std::string()));
    spdlog::info("this daemon manages stack {} (recorded in volume {})", stack, name);
  }
  self_.stack = stack;
  self_.listen = listen;
  if (!held.empty() && held != stack) co_await release(held);
}

net::awaitable<std::optional<DaemonRecord>> DaemonClaim::taken_over_by() {
  if (self_.stack.empty()) co_return std::nullopt;
  auto record = co_await read_record(docker_, self_.stack);
  if (record && record->instance != self_.instance) co_return record;
  co_return std::nullopt;
}

net::awaitable<void> DaemonClaim::release() { co_await release(self_.stack); }

net::awaitable<void> DaemonClaim::release(const std::string& stack) {
  if (stack.empty()) co_return;
  auto record = co_await read_record(docker_, stack);
  if (!record || record->instance != self_.instance) co_return;  // another daemon's now: not ours to remove
  co_await docker_.remove_volume(record_volume(stack));
  spdlog::info("this daemon no longer manages stack {} (record {} removed)", stack, record_volume(stack));
}

}  // namespace stackd::ownership
