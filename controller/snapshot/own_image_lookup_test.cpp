#include "controller/snapshot/own_image_lookup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "clients/docker/fake_engine.hpp"

using namespace stackd;

// Only a stack that runs the Ollama exporter from stackd's own image makes
// stackd look for the container it runs in.
TEST(OwnImageLookup, OnlyAnExporterWithoutAnImageOfItsOwnNeedsIt) {
  manifest::Manifest m;
  m.ollama.exporter.enabled = true;
  EXPECT_TRUE(snapshot::needs_own_image(m));
  m.ollama.exporter.image = "registry.example/stackd:0.1.0";
  EXPECT_FALSE(snapshot::needs_own_image(m));
  m.ollama.exporter.image.clear();
  m.ollama.exporter.enabled = false;
  EXPECT_FALSE(snapshot::needs_own_image(m));
}

namespace {
namespace net = boost::asio;

void run(net::awaitable<void> a) {
  net::io_context io;
  auto f = net::co_spawn(io, std::move(a), net::use_future);
  io.run();
  f.get();
}
}  // namespace

// A daemon container may start before the engine answers: the lookup that
// failed is asked again at the next snapshot, and then finds the image.
TEST(OwnImageLookup, AnEngineErrorIsRetriedAtTheNextSnapshot) {
  docker::FakeEngine engine;
  const auto id = engine.add_container("stackd", {}, "registry.example/stackd:0.2.0");
  snapshot::OwnImageLookup lookup(&engine, [id] { return docker::SelfEvidence{.mountinfo = "", .cgroup = "", .hostname = id.substr(0, 12)}; });
  manifest::Manifest m;
  m.ollama.exporter.enabled = true;

  engine.fail_next("inspect_container", "", docker::DockerError(500, "engine starting"));
  std::string own;
  run(lookup.resolve(m, own));
  EXPECT_EQ(own, "") << "the engine did not answer";

  run(lookup.resolve(m, own));
  EXPECT_EQ(own, "registry.example/stackd:0.2.0");
}

// Once the engine has answered that stackd is in no container of its, the
// answer stands: later snapshots do not ask again.
TEST(OwnImageLookup, AnAnswerIsKept) {
  docker::FakeEngine engine;
  snapshot::OwnImageLookup lookup(&engine, [] { return docker::SelfEvidence{.mountinfo = "", .cgroup = "", .hostname = "0123456789ab"}; });
  manifest::Manifest m;
  m.ollama.exporter.enabled = true;
  std::string own;
  run(lookup.resolve(m, own));
  const int asked = engine.calls("inspect_container");
  EXPECT_GT(asked, 0);
  run(lookup.resolve(m, own));
  EXPECT_EQ(own, "");
  EXPECT_EQ(engine.calls("inspect_container"), asked);
}
