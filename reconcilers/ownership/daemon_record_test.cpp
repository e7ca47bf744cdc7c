#include "reconcilers/ownership/daemon_record.hpp"

#include <gtest/gtest.h>

#include "api/v1alpha1/labels.hpp"

namespace stackd::ownership {
namespace {

DaemonRecord on_host() {
  DaemonRecord r;
  r.stack = "frontier";
  r.instance = "0123abcd";
  r.since = "2026-01-01T00:00:00Z";
  r.listen = "127.0.0.1:29321";
  r.version = "0.1.0";
  r.host = "gpu-box";
  r.boot_id = "boot-1";
  r.pid_ns = "pid:[4026531836]";
  r.pid = 4242;
  r.pid_start = 987654;
  return r;
}

DaemonRecord in_container() {
  auto r = on_host();
  r.container_id = std::string(64, 'c');
  r.container_name = "stackd";
  r.host = "cccccccccccc";
  return r;
}

Observer same_host() { return Observer{"gpu-box", "boot-1", "pid:[4026531836]"}; }

TEST(DaemonRecord, RoundTripsThroughLabelsWithStackdsOwnershipLabels) {
  for (const auto& r : {on_host(), in_container()}) {
    auto labels = to_labels(r);
    EXPECT_EQ(labels[labels::kManagedBy], "stackd");
    EXPECT_EQ(labels[labels::kStack], "frontier");
    EXPECT_FALSE(labels.contains(labels::kComponent)) << "not a component's object: down and the data logic skip it";
    auto back = from_labels(labels, "frontier");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->instance, r.instance);
    EXPECT_EQ(back->pid, r.pid);
    EXPECT_EQ(back->pid_start, r.pid_start);
    EXPECT_EQ(back->container_id, r.container_id);
    EXPECT_EQ(back->listen, r.listen);
  }
}

TEST(DaemonRecord, LabelsOfAnotherStackOrWithoutStackdsLabelsAreNoRecord) {
  auto labels = to_labels(on_host());
  EXPECT_FALSE(from_labels(labels, "other"));
  auto foreign = labels;
  foreign.erase(labels::kManagedBy);
  EXPECT_FALSE(from_labels(foreign, "frontier"));
  EXPECT_FALSE(from_labels(labels::owner_labels("frontier"), "frontier")) << "no instance";
}

TEST(DaemonRecord, TheCheckFollowsWhatTheOneLookingCanSee) {
  EXPECT_EQ(choose_check(in_container(), same_host()), Check::Container);
  EXPECT_EQ(choose_check(on_host(), same_host()), Check::Process);
  // Another pid namespace (a CLI in a container) cannot see the pid.
  EXPECT_EQ(choose_check(on_host(), Observer{"gpu-box", "boot-1", "pid:[4026532000]"}), Check::Http);
  // Another machine (a remote engine).
  EXPECT_EQ(choose_check(on_host(), Observer{"laptop", "boot-9", "pid:[4026531836]"}), Check::Http);
  // This host after a reboot: that process cannot run any more.
  EXPECT_EQ(choose_check(on_host(), Observer{"gpu-box", "boot-2", "pid:[4026531836]"}), Check::PreviousBoot);
}

TEST(DaemonRecord, ProcStatIsReadFromTheLastParenthesis) {
  auto st = parse_proc_stat("4242 (stackd (run) x) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 5 0 987654 1234 5");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->start, 987654u);
  EXPECT_FALSE(parse_proc_stat("4242 (stackd) S 1 2"));
  EXPECT_FALSE(parse_proc_stat("garbage"));
}

TEST(DaemonRecord, AProcessIsAliveOnlyWithItsPidAndStartTime) {
  const std::string alive = "4242 (stackd) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 5 0 987654 1234 5";
  EXPECT_EQ(process_liveness(alive, 987654).liveness, Liveness::Alive);
  EXPECT_EQ(process_liveness(std::nullopt, 987654).liveness, Liveness::Gone);
  EXPECT_EQ(process_liveness(alive, 111).liveness, Liveness::Gone) << "a reused pid";
  const std::string zombie = "4242 (stackd) Z 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 5 0 987654 1234 5";
  EXPECT_EQ(process_liveness(zombie, 987654).liveness, Liveness::Gone) << "killed, not yet reaped";
}

TEST(DaemonRecord, AContainerIsAliveWhileRunningOrRestarting) {
  docker::ContainerInfo c;
  c.state.running = true;
  c.state.status = "running";
  EXPECT_EQ(container_liveness(c).liveness, Liveness::Alive);
  c.state.running = false;
  c.state.status = "restarting";
  EXPECT_EQ(container_liveness(c).liveness, Liveness::Alive);
  c.state.status = "exited";
  EXPECT_EQ(container_liveness(c).liveness, Liveness::Gone);
  EXPECT_EQ(container_liveness(c).detail, "its container is exited");
  EXPECT_EQ(container_liveness(std::nullopt).liveness, Liveness::Gone);
}

TEST(DaemonRecord, AnAddressIsAliveWhenItServesTheSameStack) {
  EXPECT_EQ(http_liveness(200, "frontier", "frontier", "").liveness, Liveness::Alive);
  EXPECT_EQ(http_liveness(200, "other", "frontier", "").liveness, Liveness::Gone);
  auto silent = http_liveness(std::nullopt, "", "frontier", "connection refused");
  EXPECT_EQ(silent.liveness, Liveness::Unknown);
  EXPECT_NE(silent.detail.find("connection refused"), std::string::npos);
  EXPECT_EQ(http_liveness(503, "", "frontier", "").liveness, Liveness::Unknown);
}

TEST(DaemonRecord, ProbeUrlTurnsAWildcardIntoLoopback) {
  EXPECT_EQ(probe_url("127.0.0.1:29321"), "http://127.0.0.1:29321");
  EXPECT_EQ(probe_url("0.0.0.0:9321"), "http://127.0.0.1:9321");
  EXPECT_EQ(probe_url("[::]:9321"), "http://[::1]:9321");
  EXPECT_EQ(probe_url("[::1]:9321"), "http://[::1]:9321");
}

TEST(DaemonRecord, DescribeSaysWhereItRunsAndSinceWhen) {
  EXPECT_EQ(describe(on_host()), "on host gpu-box (pid 4242) since 2026-01-01T00:00:00Z, serving 127.0.0.1:29321");
  EXPECT_EQ(describe(in_container()),
            "in container stackd (cccccccccccc) since 2026-01-01T00:00:00Z, serving 127.0.0.1:29321");
}

TEST(WriterDecision, NoRecordOrAGoneDaemonProceeds) {
  EXPECT_TRUE(writer_decision(Verb::Apply, "frontier", std::nullopt, {}, false).proceed);
  auto gone = writer_decision(Verb::Down, "frontier", on_host(), Probe{Liveness::Gone, "no process has its pid"}, false);
  EXPECT_TRUE(gone.proceed);
  EXPECT_NE(gone.message.find("is gone (no process has its pid)"), std::string::npos) << gone.message;
}

TEST(WriterDecision, ALiveDaemonRefusesNamingItAndTheFix) {
  auto d = writer_decision(Verb::Down, "frontier", in_container(), Probe{Liveness::Alive, ""}, false);
  EXPECT_FALSE(d.proceed);
  EXPECT_EQ(d.message,
            "stackd down: stack frontier is managed by a stackd daemon in container stackd (cccccccccccc) since "
            "2026-01-01T00:00:00Z, serving 127.0.0.1:29321; it would recreate what down removes.\n"
            "Fix: stop that daemon first, or run `stackd down --force` to act anyway; `stackd status` shows stack "
            "frontier");
  auto apply = writer_decision(Verb::Apply, "frontier", on_host(), Probe{Liveness::Alive, ""}, false);
  EXPECT_FALSE(apply.proceed);
  EXPECT_NE(apply.message.find("or edit the manifest it watches"), std::string::npos) << apply.message;
  EXPECT_NE(apply.message.find("`stackd apply --force`"), std::string::npos) << apply.message;
}

TEST(WriterDecision, ForceProceedsWithAWarning) {
  auto d = writer_decision(Verb::Apply, "frontier", on_host(), Probe{Liveness::Alive, ""}, true);
  EXPECT_TRUE(d.proceed);
  EXPECT_NE(d.message.find("warning: --force"), std::string::npos);
}

TEST(WriterDecision, ADaemonThatCannotBeCheckedRefusesWithTheWayOut) {
  auto d = writer_decision(Verb::Apply, "frontier", on_host(),
                           Probe{Liveness::Unknown, "nothing answers at its address (refused)"}, false);
  EXPECT_FALSE(d.proceed);
  EXPECT_NE(d.message.find("cannot be told: nothing answers at its address (refused)"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("docker volume rm frontier-stackd-daemon"), std::string::npos) << d.message;
  EXPECT_TRUE(writer_decision(Verb::Apply, "frontier", on_host(), Probe{Liveness::Unknown, ""}, true).proceed);
}

TEST(ClaimDecision, ItsOwnRecordIsNoObstacleAndAnotherLiveDaemonIs) {
  EXPECT_TRUE(claim_decision("frontier", on_host(), Probe{Liveness::Alive, ""}, "0123abcd", false).proceed);
  auto d = claim_decision("frontier", on_host(), Probe{Liveness::Alive, ""}, "ffff", false);
  EXPECT_FALSE(d.proceed);
  EXPECT_NE(d.message.find("stackd run: stack frontier is managed by a stackd daemon on host gpu-box (pid 4242)"),
            std::string::npos)
      << d.message;
  EXPECT_NE(d.message.find("`stackd run --force`"), std::string::npos);
  EXPECT_TRUE(claim_decision("frontier", on_host(), Probe{Liveness::Gone, "x"}, "ffff", false).proceed);
}

}  // namespace
}  // namespace stackd::ownership
