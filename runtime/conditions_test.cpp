#include "runtime/conditions.hpp"

#include <gtest/gtest.h>

namespace stackd::runtime {
namespace {

const std::string kOld = "sha256:1111111111112222";
const std::string kNew = "sha256:3333333333334444";

ConditionInputs converged_on_old() {
  ConditionInputs in;
  in.first_reconcile_done = true;
  in.pinned_revision = kOld;
  in.applied_revision = kOld;
  in.pinned_converged = true;
  return in;
}

TEST(Conditions, BeforeTheFirstFullReconcileTheStackIsStarting) {
  ConditionInputs in;
  in.pinned_revision = kNew;
  in.keys.push_back({"container/prometheus", "ReconcileError", "pull failed", false, ""});
  auto c = derive_conditions(in);
  EXPECT_FALSE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "Starting");
  EXPECT_TRUE(c.degraded.status);
  EXPECT_EQ(c.degraded.reason, "ReconcileError");
}

TEST(Conditions, ConvergedNamesTheRevision) {
  auto c = derive_conditions(converged_on_old());
  EXPECT_TRUE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "Converged");
  EXPECT_EQ(c.ready.message, "revision sha256:111111111111");
  EXPECT_FALSE(c.degraded.status);
  EXPECT_EQ(c.degraded.reason, "AsExpected");
}

TEST(Conditions, ARejectedEditKeepsReadyAndSaysWhichRevisionRuns) {
  auto in = converged_on_old();
  in.pinned_revision = kNew;
  in.pinned_converged = false;
  in.keys.push_back({"prometheus-config", "PrometheusConfigRejected",
                     "prometheus configuration rejected, last good kept: promtool: line 1\nline 2", true, kOld});
  auto c = derive_conditions(in);
  EXPECT_TRUE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "LastGoodRevision");
  EXPECT_EQ(c.ready.message,
            "revision sha256:333333333333 is refused by prometheus-config; the stack still runs the last good "
            "revision sha256:111111111111; see Degraded");
  EXPECT_TRUE(c.degraded.status);
  EXPECT_EQ(c.degraded.reason, "PrometheusConfigRejected");
  EXPECT_NE(c.degraded.message.find("prometheus-config: prometheus configuration rejected"), std::string::npos);
  EXPECT_NE(c.degraded.message.find("\nline 2"), std::string::npos) << "the whole message, for -o json";
}

TEST(Conditions, AKeyThatKeepsAnotherRevisionThanTheLastFullOneIsNamed) {
  auto in = converged_on_old();
  in.pinned_revision = kNew;
  in.pinned_converged = false;
  in.keys.push_back({"alertmanager-config", "AlertmanagerConfigRejected", "x", true, "sha256:5555555555556666"});
  auto c = derive_conditions(in);
  EXPECT_NE(c.ready.message.find("(alertmanager-config keeps revision sha256:555555555555)"), std::string::npos)
      << c.ready.message;
}

TEST(Conditions, AnInvalidManifestKeepsReadyAndDegradedSaysWhy) {
  auto in = converged_on_old();
  in.desired_state = KeyFailure{"manifest", "ManifestInvalid", "stack.yaml:3:5: unknown field", true, ""};
  auto c = derive_conditions(in);
  EXPECT_TRUE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "LastGoodRevision");
  EXPECT_EQ(c.ready.message,
            "the latest desired state was not loaded (ManifestInvalid): still enforcing revision "
            "sha256:111111111111; see Degraded");
  EXPECT_EQ(c.degraded.reason, "ManifestInvalid");
  EXPECT_EQ(c.degraded.message, "stack.yaml:3:5: unknown field");
}

TEST(Conditions, AKeyThatKeepsFailingMakesTheStackNotReady) {
  auto in = converged_on_old();
  in.keys.push_back({"container/node-exporter", "ReconcileError", "exited with code 1", false, kOld});
  in.keys.push_back({"prometheus-config", "PrometheusConfigRejected", "bad rule", true, kOld});
  auto c = derive_conditions(in);
  EXPECT_FALSE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "Degraded");
  EXPECT_EQ(c.ready.message, "container/node-exporter failing: see Degraded");
  EXPECT_EQ(c.degraded.reason, "ReconcileError") << "the first key's reason";
  EXPECT_EQ(c.degraded.message, "container/node-exporter: exited with code 1; prometheus-config: bad rule");
}

TEST(Conditions, AnEditBeingRolledOutLeavesTheStackReady) {
  auto in = converged_on_old();
  in.pinned_revision = kNew;
  in.pinned_converged = false;
  in.busy = true;
  auto c = derive_conditions(in);
  EXPECT_TRUE(c.ready.status);
  EXPECT_EQ(c.ready.reason, "RollingOut");
  EXPECT_EQ(c.ready.message, "running revision sha256:111111111111 while revision sha256:333333333333 rolls out");
  EXPECT_TRUE(c.progressing.status);
  EXPECT_EQ(c.progressing.reason, "Reconciling");
}

}  // namespace
}  // namespace stackd::runtime
