// The file source's loader: a snapshot is what the manifest on disk says,
// and a manifest the caller already loaded is built from, not read again.
#include "controller/snapshot/file_snapshot_loader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "api/v1alpha1/loader.hpp"

namespace stackd::snapshot {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;

std::string manifest_text(const std::string& name, int node_port) {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + name +
         "}\nspec:\n  network: host\n"
         "  prometheus:\n    image: prom/prometheus:v2.53.2\n    port: 19090\n"
         "  grafana:\n    enabled: false\n"
         "  ollama:\n    enabled: false\n"
         "  nodeExporter:\n    image: prom/node-exporter:v1.8.2\n    port: " +
         std::to_string(node_port) + "\n";
}

struct FileSnapshotLoaderTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("stackd-loader-test-" + std::to_string(std::random_device{}()));
  fs::path file = dir / "stack.yaml";
  SnapshotOptions options{.state_dir = (dir / "state").string(), .own_image = "stackd:test"};

  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& text) { std::ofstream(file) << text; }
  desired::SnapshotPtr load(FileSnapshotLoader& loader) {
    net::io_context io;
    auto f = net::co_spawn(io, loader.load(), net::use_future);
    io.run();
    return f.get();
  }
};

TEST_F(FileSnapshotLoaderTest, TheFirstLoadBuildsFromTheManifestTheCallerLoadedThenReadsTheFile) {
  write(manifest_text("first", 19100));
  auto loaded = manifest::load(file.string());
  write(manifest_text("second", 19101));

  FileSnapshotLoader loader(file.string(), options);
  loader.start_from(loaded);
  auto first = load(loader);
  EXPECT_EQ(first->manifest.name, "first");
  EXPECT_EQ(first->revision, loaded.revision);

  auto next = load(loader);
  EXPECT_EQ(next->manifest.name, "second") << "an edit after the first load is read";
  EXPECT_NE(next->revision, first->revision);
}

TEST_F(FileSnapshotLoaderTest, ASnapshotFromALoadedManifestIsTheSnapshotFromTheFile) {
  write(manifest_text("demo", 19100));
  FileSnapshotLoader from_file(file.string(), options);
  FileSnapshotLoader from_loaded(file.string(), options);
  from_loaded.start_from(manifest::load(file.string()));
  auto a = load(from_file);
  auto b = load(from_loaded);
  EXPECT_EQ(a->revision, b->revision);
  EXPECT_EQ(a->source.origin, b->source.origin);
  EXPECT_EQ(a->exporter_image, b->exporter_image);
  EXPECT_EQ(a->state_dir, b->state_dir);
  EXPECT_EQ(a->manifest.node_exporter.port, b->manifest.node_exporter.port);
}

}  // namespace
}  // namespace stackd::snapshot
