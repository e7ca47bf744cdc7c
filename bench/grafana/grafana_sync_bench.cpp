// Benchmark: the Grafana reconciler against the Grafana fake (a process on
// 127.0.0.1) with N dashboards (default 1,000) in 10 folders:
//   1. initial sync,
//   2. steady-state resync with nothing changed (same reconciler),
//   3. the same after a stackd restart (fresh reconciler, no memory),
//   4. one dashboard changed among N: must cost exactly one write.
// Prints requests, writes (read back from Grafana's version history), wall
// time and CPU of stackd's side and of the fake. Exits 1 if a write count is wrong.
//   grafana_sync_bench [N]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "clients/grafana/grafana_client.hpp"
#include "reconcilers/grafana/grafana_reconciler.hpp"
#include "tests/grafana/fake_grafana_process.hpp"

namespace net = boost::asio;
using nlohmann::json;
using namespace stackd::grafana;

namespace {

template <class T>
T run(net::io_context& io, net::awaitable<T> a) {
  auto f = net::co_spawn(io, std::move(a), net::use_future);
  io.restart();
  io.run();
  return f.get();
}

double self_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double proc_cpu(pid_t pid) {  // utime + stime from /proc/PID/stat
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto rp = s.rfind(')');
  std::istringstream rest(s.substr(rp + 2));
  std::string f;
  unsigned long ut = 0, st = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> f;
    if (i == 14) ut = std::stoul(f);
    if (i == 15) st = std::stoul(f);
  }
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

json make_dashboard(int i, const std::string& expr_suffix = "") {
  json panels = json::array();
  for (int p = 0; p < 12; ++p)
    panels.push_back({{"id", p + 1},
                      {"type", "timeseries"},
                      {"title", "Panel " + std::to_string(p)},
                      {"gridPos", {{"h", 8}, {"w", 12}, {"x", (p % 2) * 12}, {"y", (p / 2) * 8}}},
                      {"datasource", {{"type", "prometheus"}, {"uid", "${DS_PROMETHEUS}"}}},
                      {"targets", {{{"refId", "A"}, {"expr", "rate(ollama_requests_total{i=\"" + std::to_string(i) +
                                                                 "\",p=\"" + std::to_string(p) + "\"}[5m])" +
                                                                 expr_suffix}}}}});
  return {{"uid", "bench-" + std::to_string(i)},
          {"title", "Bench dashboard " + std::to_string(i)},
          {"schemaVersion", 39},
          {"time", {{"from", "now-6h"}, {"to", "now"}}},
          {"panels", panels}};
}

struct Measure {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double c0 = self_cpu(), f0;
  pid_t fake;
  double wall = 0, cpu = 0, fake_cpu = 0;
  explicit Measure(pid_t f) : f0(proc_cpu(f)), fake(f) {}
  // Called right after the reconcile, before the write count is read back.
  void stop() {
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu = self_cpu() - c0;
    fake_cpu = proc_cpu(fake) - f0;
  }
  void print(const char* what, const SyncReport& r, long writes) const {
    std::printf("%-34s requests=%5d writes=%5ld created=%4d updated=%4d unchanged=%4d errors=%zu  wall=%.3fs "
                "stackd_cpu=%.3fs fake_cpu=%.3fs\n",
                what, r.requests, writes, r.created, r.updated, r.unchanged, r.errors.size(), wall, cpu, fake_cpu);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  spdlog::set_level(spdlog::level::warn);  // one line per dashboard would dominate the timing
  auto dir = std::filesystem::temp_directory_path() / ("stackd-gbench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  stackd::testing::FakeGrafanaProcess fake(STACKD_FAKE_GRAFANA_BIN, dir, "bench-pass");
  net::io_context io;
  Client admin(io.get_executor(), fake.url(), {"admin", "bench-pass", ""});

  Desired d;
  d.base_url = fake.url();
  d.user = "admin";
  d.password = "bench-pass";
  d.revision = "bench1";
  d.datasources = {{"prometheus", "Prometheus", "prometheus", "http://127.0.0.1:9090", "proxy", true, json::object()}};
  for (int i = 0; i < n; ++i)
    d.dashboards.push_back({"bench/" + std::to_string(i) + ".json", make_dashboard(i), "Folder " + std::to_string(i % 10)});

  // Writes are counted from the world: total versions in Grafana's history.
  auto total_versions = [&] {
    long total = 0;
    for (int i = 0; i < n; ++i) total += static_cast<long>(run(io, admin.dashboard_versions("bench-" + std::to_string(i), 1000)).size());
    return total;
  };
  std::printf("dashboards=%d (12 panels each, %zu bytes each as JSON), folders=10\n", n, d.dashboards[0].model.dump().size());
  int failures = 0;

  Reconciler r(io.get_executor());
  Measure m1(fake.pid());
  auto rep = run(io, r.reconcile(d));
  m1.stop();
  long v1 = total_versions();
  m1.print("initial sync", rep, v1);
  if (rep.created != n || v1 != n) ++failures;

  Measure m2(fake.pid());
  rep = run(io, r.reconcile(d));
  m2.stop();
  long v2 = total_versions();
  m2.print("steady-state resync (unchanged)", rep, v2 - v1);
  if (v2 != v1 || rep.unchanged != n) ++failures;

  Reconciler fresh(io.get_executor());
  Measure m3(fake.pid());
  rep = run(io, fresh.reconcile(d));
  m3.stop();
  long v3 = total_versions();
  m3.print("resync after restart (unchanged)", rep, v3 - v2);
  if (v3 != v2) ++failures;

  d.revision = "bench2";
  d.dashboards[n / 2].model = make_dashboard(n / 2, " * 2");
  Measure m4(fake.pid());
  rep = run(io, r.reconcile(d));
  m4.stop();
  long v4 = total_versions();
  m4.print("one changed among all", rep, v4 - v3);
  if (v4 - v3 != 1 || rep.updated != 1) ++failures;

  fake.stop();
  std::filesystem::remove_all(dir);
  if (failures) std::printf("FAILED: %d write-count expectations not met\n", failures);
  return failures ? 1 : 0;
}
