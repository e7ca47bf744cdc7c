#include "clients/docker/self_container.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <map>

namespace stackd::docker {
namespace {

namespace net = boost::asio;

const std::string kId = "4f1b0e6a9a3c2d7e8f90123456789abcdef0123456789abcdef0123456789abc";
const std::string kOther = "aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeee0000";

// cgroup v2 with a private cgroup namespace (the default): only the
// engine's bind mounts name the container.
const std::string kMountinfoV2 =
    "1050 1031 0:52 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X\n"
    "1062 1050 254:1 /var/lib/docker/containers/" + kId + "/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw\n"
    "1063 1050 254:1 /var/lib/docker/containers/" + kId + "/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n";

// Only what own_image() asks: containers by id or id prefix, as the engine resolves them.
class EngineWithContainers final : public Api {
 public:
  std::map<std::string, ContainerInfo> containers;  // full id -> info
  net::awaitable<std::optional<ContainerInfo>> inspect_container(const std::string& ref) override {
    for (const auto& [id, info] : containers)
      if (id.starts_with(ref) || info.name == ref) co_return info;
    co_return std::nullopt;
  }
  net::awaitable<void> negotiate() override { co_return; }
  net::awaitable<EngineInfo> info() override { co_return EngineInfo{}; }
  net::awaitable<std::string> logs(const std::string&, int) override { co_return std::string(); }
  net::awaitable<std::vector<ContainerSummary>> list_containers(const Labels&, bool) override { throw unused(); }
  net::awaitable<std::string> create_container(const std::string&, const nlohmann::json&) override { throw unused(); }
  net::awaitable<void> start_container(const std::string&) override { throw unused(); }
  net::awaitable<void> stop_container(const std::string&, int) override { throw unused(); }
  net::awaitable<void> remove_container(const std::string&, bool) override { throw unused(); }
  net::awaitable<void> rename_container(const std::string&, const std::string&) override { throw unused(); }
  net::awaitable<void> put_archive(const std::string&, const std::string&, const std::string&) override { throw unused(); }
  net::awaitable<std::optional<std::string>> get_archive(const std::string&, const std::string&) override { throw unused(); }
  net::awaitable<ExecResult> exec(const std::string&, const std::vector<std::string>&, std::chrono::seconds) override {
    throw unused();
  }
  net::awaitable<int> wait_container(const std::string&, std::chrono::seconds) override { throw unused(); }
  net::awaitable<bool> image_exists(const std::string&) override { throw unused(); }
  net::awaitable<void> pull_image(const std::string&, std::function<void(const PullProgress&)>) override { throw unused(); }
  net::awaitable<std::vector<NetworkInfo>> list_networks(const Labels&) override { throw unused(); }
  net::awaitable<std::optional<NetworkInfo>> inspect_network(const std::string&) override { throw unused(); }
  net::awaitable<void> create_network(const std::string&, const Labels&) override { throw unused(); }
  net::awaitable<void> remove_network(const std::string&) override { throw unused(); }
  net::awaitable<std::vector<VolumeInfo>> list_volumes(const Labels&) override { throw unused(); }
  net::awaitable<std::optional<VolumeInfo>> inspect_volume(const std::string&) override { throw unused(); }
  net::awaitable<void> create_volume(const std::string&, const Labels&) override { throw unused(); }
  net::awaitable<void> remove_volume(const std::string&) override { throw unused(); }
  net::awaitable<std::optional<PathStat>> stat_path(const std::string&, const std::string&) override { throw unused(); }
  net::awaitable<void> events(const Labels&, std::function<bool(const Event&)>,
                              std::optional<std::chrono::system_clock::time_point>) override {
    throw unused();
  }

  void add(const std::string& id, const std::string& name, const std::string& image_ref) {
    containers[id] = ContainerInfo{.id = id, .name = name, .image_id = "sha256:" + std::string(64, '1'), .image_ref = image_ref};
  }

 private:
  static std::logic_error unused() { return std::logic_error("own_image() must only inspect containers"); }
};

std::optional<std::string> own_image_of(EngineWithContainers& engine, const SelfEvidence& e) {
  net::io_context io;
  auto f = net::co_spawn(io, own_image(engine, e), net::use_future);
  io.run();
  return f.get();
}

TEST(ContainerIdCandidates, FromMountinfoCgroupAndHostnameWithoutDuplicates) {
  SelfEvidence e{.mountinfo = kMountinfoV2,
                 .cgroup = "0::/system.slice/docker-" + kOther + ".scope\n",
                 .hostname = kId.substr(0, 12)};
  EXPECT_EQ(container_id_candidates(e), (std::vector<std::string>{kId, kOther}));
  SelfEvidence v1{.cgroup = "12:memory:/docker/" + kId + "\n11:cpu:/docker/" + kId + "\n", .hostname = "myhost"};
  EXPECT_EQ(container_id_candidates(v1), (std::vector<std::string>{kId}));
  SelfEvidence host{.mountinfo = "25 1 254:1 / / rw - ext4 /dev/vda1 rw\n", .cgroup = "0::/user.slice\n",
                    .hostname = "build-box"};
  EXPECT_TRUE(container_id_candidates(host).empty());
}

TEST(ContainerIdCandidates, OnlyWholeIdsInTheirPlace) {
  const std::string upper = "4F1B0E6A9A3C2D7E8F90123456789ABCDEF0123456789ABCDEF0123456789ABC";
  SelfEvidence e{.mountinfo = "/containers/" + kId + "x/ /containers/" + upper + "/ /containers/" + kId.substr(1) + "/\n",
                 .cgroup = "0::/docker-" + kId.substr(2) + " /docker/" + kOther + "\n",
                 .hostname = "ABCDEFABCDEF"};
  EXPECT_EQ(container_id_candidates(e), (std::vector<std::string>{kOther}));
}

// /proc/self/mountinfo is read up to 1 MiB; its paths are whatever was mounted.
TEST(ContainerIdCandidates, AMegabyteOfEvidenceIsOnePass) {
  std::string noise;
  while (noise.size() < 1024 * 1024) noise += "/containers//docker-/docker/";
  SelfEvidence e{.mountinfo = noise + "/containers/" + kId + "/hostname", .cgroup = noise + "/docker/" + kOther};
  EXPECT_EQ(container_id_candidates(e), (std::vector<std::string>{kId, kOther}));
}

TEST(OwnImage, TheImageOfTheContainerTheMountsName) {
  EngineWithContainers engine;
  engine.add(kId, "stackd", "stackd:0.1.0");
  engine.add(kOther, "prom", "prom/prometheus:v2");
  EXPECT_EQ(own_image_of(engine, SelfEvidence{.mountinfo = kMountinfoV2}), "stackd:0.1.0");
}

TEST(OwnImage, HostnameIsOnlyTrustedAsAnIdPrefix) {
  EngineWithContainers engine;
  engine.add(kId, "abcdefabcdef", "trap:1");  // a container *named* like our hostname
  EXPECT_EQ(own_image_of(engine, SelfEvidence{.hostname = "abcdefabcdef"}), std::nullopt);
  engine.add(kOther, "x", "stackd:dev");
  EXPECT_EQ(own_image_of(engine, SelfEvidence{.hostname = kOther.substr(0, 12)}), "stackd:dev");
}

TEST(OwnImage, NotInAContainerTheEngineKnows) {
  EngineWithContainers engine;
  engine.add(kOther, "prom", "prom/prometheus:v2");
  EXPECT_EQ(own_image_of(engine, SelfEvidence{.mountinfo = kMountinfoV2}), std::nullopt);
  EXPECT_EQ(own_image_of(engine, SelfEvidence{}), std::nullopt);
}

TEST(OwnImage, FallsBackToTheImageIdWhenTheReferenceIsEmpty) {
  EngineWithContainers engine;
  engine.add(kId, "stackd", "");
  EXPECT_EQ(own_image_of(engine, SelfEvidence{.mountinfo = kMountinfoV2}), "sha256:" + std::string(64, '1'));
}

}  // namespace
}  // namespace stackd::docker
