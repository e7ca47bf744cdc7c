#include "controller/cli/host_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "api/v1alpha1/loader.hpp"

namespace stackd::cli {
namespace {

manifest::Manifest load(const std::string& spec) {
  manifest::LoadOptions o;
  o.env = [](const std::string&) { return std::nullopt; };
  return manifest::load_from_string(
      "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: host\n" + spec,
      "/tmp/stack.yaml", o);
}

// A socket listening on 127.0.0.1 on a port the kernel picks.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

TEST(HostPorts, EveryEnabledComponentStackdRunsAndTheDaemon) {
  auto ports = host_ports(load("  prometheus: {port: 29090}\n  nodeExporter: {port: 29100, listen: 0.0.0.0}\n"
                               "  grafana: {url: 'http://grafana.lan:3000'}\n  stackd: {port: 29321}\n"));
  ASSERT_EQ(ports.size(), 3u) << "an external Grafana is not run by stackd";
  EXPECT_EQ(ports[0].field, "spec.prometheus.port");
  EXPECT_EQ(ports[0].port, 29090);
  EXPECT_EQ(ports[1].component, "node-exporter");
  EXPECT_EQ(ports[1].listen, "0.0.0.0");
  EXPECT_EQ(ports[2].field, "spec.stackd.port");
  EXPECT_EQ(ports[2].component, "stackd");
}

TEST(HostPorts, AHeldPortIsTakenAndAFreeOneFree) {
  Listener held;
  EXPECT_EQ(probe_port("127.0.0.1", held.port), PortState::Taken);
  EXPECT_EQ(probe_port("0.0.0.0", held.port), PortState::Taken) << "the wildcard overlaps every address";
  std::uint16_t port = held.port;
  { Listener gone; port = gone.port; }
  EXPECT_EQ(probe_port("127.0.0.1", port), PortState::Free);
  EXPECT_EQ(probe_port("192.0.2.1", port), PortState::CannotTell) << "not an address of this host";
  EXPECT_EQ(probe_port("not-an-ip", port), PortState::CannotTell);
}

TEST(HostPorts, OnlyPortsThisStackDoesNotHoldAreWarnedAbout) {
  std::vector<HostPort> ports = {{"spec.prometheus.port", "prometheus", "127.0.0.1", 29090},
                                 {"spec.nodeExporter.port", "node-exporter", "127.0.0.1", 29100},
                                 {"spec.stackd.port", "stackd", "127.0.0.1", 29321}};
  std::vector<PortState> states = {PortState::Taken, PortState::Taken, PortState::Free};
  auto w = port_warnings(ports, states, {true, false, false}, true);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "spec.nodeExporter.port: 127.0.0.1:29100 is already in use by another process; node-exporter "
                  "could not listen there");
  auto unsure = port_warnings(ports, states, {}, false);
  ASSERT_EQ(unsure.size(), 2u);
  EXPECT_NE(unsure[0].find("unless it is this stack's own prometheus"), std::string::npos) << unsure[0];
}

TEST(HostPorts, AContainerHoldsThePortItsArgumentsPublishedPortsOrGrafanaEnvName) {
  auto args = nlohmann::json::parse(R"({"Args": ["--web.listen-address=127.0.0.1:29100", "--path.rootfs=/host"],
                                        "Config": {"Cmd": ["--web.listen-address=127.0.0.1:29100"]}})");
  EXPECT_TRUE(container_holds_port(args, 29100));
  EXPECT_FALSE(container_holds_port(args, 29101)) << "an edit moved it: the old container holds the old port";
  auto published = nlohmann::json::parse(
      R"({"HostConfig": {"PortBindings": {"9090/tcp": [{"HostIp": "127.0.0.1", "HostPort": "29090"}]}}})");
  EXPECT_TRUE(container_holds_port(published, 29090));
  auto grafana = nlohmann::json::parse(R"({"Config": {"Env": ["GF_SERVER_HTTP_PORT=23000"]}})");
  EXPECT_TRUE(container_holds_port(grafana, 23000));
  EXPECT_FALSE(container_holds_port(nlohmann::json(), 23000));
}

}  // namespace
}  // namespace stackd::cli
