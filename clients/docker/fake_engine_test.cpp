// The fake engine answers like the real one where stackd depends on it.
#include "clients/docker/fake_engine.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "clients/docker/run_blocking.hpp"
#include "common/tar_archive.hpp"

using namespace stackd;
using namespace stackd::docker;
namespace net = boost::asio;

namespace {

nlohmann::json body(const std::string& image, Labels labels = {}) { return {{"Image", image}, {"Labels", labels}}; }

// The engine's status for a failed call, 0 for success.
#define STATUS_OF(expr)                \
  [&]() -> unsigned {                  \
    try {                              \
      run_await(expr);                 \
    } catch (const DockerError& err) { \
      return err.status();             \
    }                                  \
    return 0;                          \
  }()

}  // namespace

TEST(FakeEngine, CreateWithATakenNameIsAConflictAndLeavesTheHolder) {
  FakeEngine e;
  e.add_image("img");
  auto holder = e.add_container("web", {{"owner", "someone"}}, "img");
  EXPECT_EQ(STATUS_OF(e.create_container("web", body("img"))), 409u);
  ASSERT_EQ(e.containers().size(), 1u);
  EXPECT_EQ(e.containers()[0].id, holder);
  EXPECT_TRUE(e.containers()[0].running());
}

TEST(FakeEngine, MissingImageAndMissingContainerAre404) {
  FakeEngine e;
  EXPECT_EQ(STATUS_OF(e.create_container("web", body("nope"))), 404u);
  EXPECT_EQ(STATUS_OF(e.start_container("nope")), 404u);
  EXPECT_EQ(STATUS_OF(e.rename_container("nope", "x1")), 404u);
  EXPECT_FALSE(run_await(e.inspect_container("nope")).has_value());
  // Stop and remove of a missing container are done already.
  EXPECT_EQ(STATUS_OF(e.stop_container("nope")), 0u);
  EXPECT_EQ(STATUS_OF(e.remove_container("nope")), 0u);
}

TEST(FakeEngine, StartOfARunningContainerKeepsItsStartedAt) {
  FakeEngine e;
  e.add_image("img");
  auto id = run_await(e.create_container("web", body("img")));
  EXPECT_EQ(e.find(id)->status, "created");
  run_await(e.start_container(id));
  auto started = e.find(id)->started_at;
  run_await(e.start_container(id));  // 304
  EXPECT_EQ(e.find(id)->started_at, started);
  EXPECT_TRUE(e.find(id)->running());
}

TEST(FakeEngine, RemovingARunningContainerNeedsForce) {
  FakeEngine e;
  auto id = e.add_container("web", {}, "img");
  EXPECT_EQ(STATUS_OF(e.remove_container(id, false)), 409u);
  EXPECT_NE(e.find(id), nullptr);
  run_await(e.remove_container(id, true));
  EXPECT_EQ(e.find(id), nullptr);
}

TEST(FakeEngine, RenameToATakenNameIsAConflict) {
  FakeEngine e;
  auto a = e.add_container("a1", {}, "img");
  e.add_container("b1", {}, "img");
  EXPECT_EQ(STATUS_OF(e.rename_container(a, "b1")), 409u);
  EXPECT_EQ(e.find(a)->name, "a1");
  run_await(e.rename_container(a, "c1"));
  EXPECT_EQ(e.find("c1")->id, a);
}

TEST(FakeEngine, ArchivesKeepModeAndMtimeAndStatAnswersWithoutContent) {
  FakeEngine e;
  auto id = e.add_container("web", {}, "img");
  std::vector<TarFile> files{{"etc/app/app.yml", "a: 1\n", 0640, 0, 0}, {"etc/app/rules/r.yml", "groups: []\n", 0644, 0, 0}};
  run_await(e.put_archive(id, "/", make_tar(files)));
  auto st = run_await(e.stat_path(id, "/etc/app/app.yml"));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 5);
  EXPECT_EQ(st->perm(), 0640u);
  EXPECT_EQ(st->mtime, delivered_mtime("a: 1\n"));
  EXPECT_FALSE(st->is_dir());
  auto dir = run_await(e.stat_path(id, "/etc/app"));
  ASSERT_TRUE(dir);
  EXPECT_TRUE(dir->is_dir());
  EXPECT_FALSE(run_await(e.stat_path(id, "/etc/none")));

  // GET names members relative to the path's parent, like the engine.
  auto tar = run_await(e.get_archive(id, "/etc/app"));
  ASSERT_TRUE(tar);
  auto members = read_tar(*tar);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].path, "app/app.yml");
  EXPECT_EQ(members[0].content, "a: 1\n");

  e.write_file(id, "/etc/app/app.yml", "a: 2\n");
  st = run_await(e.stat_path(id, "/etc/app/app.yml"));
  EXPECT_NE(st->mtime, delivered_mtime("a: 1\n"));
}

TEST(FakeEngine, ListFiltersByLabelPresenceAndValue) {
  FakeEngine e;
  e.add_container("a1", {{"k", "1"}, {"j", "x"}}, "img");
  e.add_container("b1", {{"k", "2"}}, "img", /*running=*/false);
  // Named filters: GCC 12 miscompiles braced string literals inside co_await.
  Labels has_k{{"k", ""}}, k2{{"k", "2"}}, k1_jy{{"k", "1"}, {"j", "y"}};
  EXPECT_EQ(run_await(e.list_containers(has_k)).size(), 2u);
  EXPECT_EQ(run_await(e.list_containers(k2)).size(), 1u);
  EXPECT_EQ(run_await(e.list_containers(has_k, false)).size(), 1u);
  EXPECT_TRUE(run_await(e.list_containers(k1_jy)).empty());
}

TEST(FakeEngine, InjectedFailureHitsOnlyTheNamedCallAndTarget) {
  FakeEngine e;
  e.add_image("img");
  e.fail_next("create_container", "b1", DockerError(500, "disk full"));
  EXPECT_EQ(STATUS_OF(e.create_container("a1", body("img"))), 0u);
  EXPECT_EQ(STATUS_OF(e.create_container("b1", body("img"))), 500u);
  EXPECT_EQ(STATUS_OF(e.create_container("b1", body("img"))), 0u);  // once only
}

TEST(FakeEngine, ImageThatDiesAtOnceIsRestartingUnderARestartPolicy) {
  FakeEngine e;
  e.add_image("bad");
  e.set_image_behaviour("bad", {.exits_at_once = 1});
  nlohmann::json b = body("bad");
  b["HostConfig"] = {{"RestartPolicy", {{"Name", "unless-stopped"}}}};
  auto id = run_await(e.create_container("x1", b));
  run_await(e.start_container(id));
  auto info = run_await(e.inspect_container(id));
  EXPECT_EQ(info->state.status, "restarting");
  EXPECT_EQ(info->restart_count, 1);
  EXPECT_EQ(info->state.exit_code, 1);
}

TEST(FakeEngine, VolumesInUseCannotBeRemovedAndMountsCreateThem) {
  FakeEngine e;
  e.add_image("img");
  nlohmann::json b = body("img");
  b["HostConfig"] = {{"Mounts", {{{"Type", "volume"}, {"Source", "data"}, {"Target", "/data"}}}}};
  run_await(e.create_container("x1", b));
  ASSERT_TRUE(e.volumes().count("data"));
  EXPECT_TRUE(e.volumes().at("data").labels.empty());
  EXPECT_EQ(STATUS_OF(e.remove_volume("data")), 409u);
}

TEST(FakeEngine, PullMakesAPullableImagePresentAndUnknownOnesFail) {
  FakeEngine e;
  e.add_pullable_image("prom/prometheus:v2");
  EXPECT_FALSE(run_await(e.image_exists("prom/prometheus:v2")));
  int lines = 0;
  std::function<void(const PullProgress&)> count = [&lines](const PullProgress&) { ++lines; };
  run_await(e.pull_image("prom/prometheus:v2", count));
  EXPECT_GT(lines, 0);
  EXPECT_TRUE(e.has_image("prom/prometheus:v2"));
  EXPECT_EQ(STATUS_OF(e.pull_image("nope:1", {})), 404u);
}

net::awaitable<void> create_two(FakeEngine& e) {
  // Built outside co_await: GCC 12 rejects braced string literals inside it.
  std::string other = "other", mine = "mine";
  auto b = body("img", Labels{{"team", "b"}});
  auto a = body("img", Labels{{"team", "a"}});
  co_await e.create_container(other, b);
  auto id = co_await e.create_container(mine, a);
  co_await e.start_container(id);
}

TEST(FakeEngine, EventsReachSubscribersThatMatchTheFilter) {
  FakeEngine e;
  e.add_image("img");
  net::io_context io;
  std::vector<std::string> seen;
  auto on_event = [&seen](const Event& ev) {
    seen.push_back(ev.action + " " + ev.attributes.at("name"));
    return seen.size() < 2;
  };
  const Labels team{{"team", "a"}};  // outlives the coroutine, which holds a reference
  net::co_spawn(io, e.events(team, on_event), net::detached);
  net::co_spawn(io, create_two(e), net::detached);
  io.run();  // returns once the subscriber said stop
  EXPECT_EQ(seen, (std::vector<std::string>{"create mine", "start mine"}));
}

TEST(FakeEngine, ExecNeedsARunningContainerAndFollowsTheScript) {
  FakeEngine e;
  auto id = e.add_container("p1", {}, "img");
  e.set_exec_script([](const FakeEngine::Container&, const std::vector<std::string>& cmd) {
    return ExecResult{cmd.at(0) == "promtool" ? 1 : 0, "checked"};
  });
  std::vector<std::string> check{"promtool", "check"}, truth{"true"};
  auto r = run_await(e.exec(id, check));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "checked");
  e.kill_container(id);
  EXPECT_EQ(STATUS_OF(e.exec(id, truth)), 409u);
}

TEST(FakeEngine, AOneShotProcessEndsWithItsExitCodeAndItsOutputInItsLogs) {
  FakeEngine e;
  e.add_image("checker");
  e.set_image_behaviour("checker", {.runs_to_completion = [](const FakeEngine::Container& c) {
                                      bool has = c.files.contains("/etc/app.yml");
                                      return std::pair{has ? 0 : 1, std::string("one\ntwo\n") + (has ? "ok\n" : "missing\n")};
                                    }});
  auto id = run_await(e.create_container("check", body("checker")));
  run_await(e.start_container(id));
  EXPECT_EQ(run_await(e.wait_container(id, std::chrono::seconds(5))), 1);
  EXPECT_EQ(run_await(e.logs(id, 100)), "one\ntwo\nmissing\n");

  auto id2 = run_await(e.create_container("check2", body("checker")));
  const std::string tar = make_tar({TarFile{"etc/app.yml", "x"}});
  run_await(e.put_archive(id2, "/", tar));
  run_await(e.start_container(id2));
  EXPECT_EQ(run_await(e.wait_container(id2, std::chrono::seconds(5))), 0);
  // A process that keeps running is not waited for forever.
  e.add_image("server");
  auto id3 = run_await(e.create_container("server", body("server")));
  run_await(e.start_container(id3));
  EXPECT_THROW(run_await(e.wait_container(id3, std::chrono::seconds(1))), std::runtime_error);
}

// As Debian's engine 20.10 answers a start of a container with a GPU request
// and no NVIDIA container toolkit (measured on the tests' engine): HTTP 500,
// the container stays created with State.Error and exit code 128, and no
// event is emitted. With the driver, it starts and the error is cleared.
TEST(FakeEngine, ADeviceRequestWithoutItsDriverIsRefusedAtStart) {
  FakeEngine e;
  e.add_image("img");
  auto gpu_body = body("img");
  gpu_body["HostConfig"] = nlohmann::json::parse(R"({"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]})");
  auto id = run_await(e.create_container("gpu", gpu_body));
  std::vector<Event> seen;
  net::io_context io;
  const Labels no_filter;  // the coroutine reads its filter when it starts, after this line
  net::co_spawn(io, e.events(no_filter, [&](const Event& ev) { seen.push_back(ev); return true; }), net::detached);
  io.poll();
  EXPECT_EQ(STATUS_OF(e.start_container(id)), 500u);
  io.poll();
  EXPECT_TRUE(seen.empty());
  auto info = run_await(e.inspect_container(id));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state.status, "created");
  EXPECT_EQ(info->state.exit_code, 128);
  EXPECT_EQ(info->state.error, "could not select device driver \"nvidia\" with capabilities: [[gpu]]");
  EXPECT_EQ(devices_refusal(info->state.error), info->state.error);
  e.set_device_drivers({"nvidia"});
  EXPECT_EQ(STATUS_OF(e.start_container(id)), 0u);
  EXPECT_EQ(run_await(e.inspect_container(id))->state.error, "");
  e.close_event_streams();
  io.run();
}

TEST(DevicesRefusal, FindsTheEnginesSentenceInAClientError) {
  EXPECT_EQ(devices_refusal("start container 1aa3: could not select device driver \"nvidia\" with capabilities: [[gpu]]"),
            "could not select device driver \"nvidia\" with capabilities: [[gpu]]");
  EXPECT_EQ(devices_refusal("failed to inject CDI devices: unresolvable CDI devices nvidia.com/gpu=all"),
            "unresolvable CDI devices nvidia.com/gpu=all");
  EXPECT_FALSE(devices_refusal("port is already allocated"));
  EXPECT_FALSE(devices_refusal(""));
}
