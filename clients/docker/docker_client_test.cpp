#include "clients/docker/docker_client.hpp"

#include <gtest/gtest.h>

using namespace stackd::docker;

// Headers in the engine's format: base64 of the JSON of its PathStat.
TEST(PathStat, DecodesTheEnginesHeader) {
  // {"name":"prometheus.yml","size":1234,"mode":420,"mtime":"1970-01-01T00:00:42Z","linkTarget":""}
  auto st = parse_path_stat(
      "eyJuYW1lIjoicHJvbWV0aGV1cy55bWwiLCJzaXplIjoxMjM0LCJtb2RlIjo0MjAsIm10aW1lIjoiMTk3MC0wMS0wMVQwMDowMDo0Mloi"
      "LCJsaW5rVGFyZ2V0IjoiIn0=");
  EXPECT_EQ(st.name, "prometheus.yml");
  EXPECT_EQ(st.size, 1234);
  EXPECT_EQ(st.perm(), 0644u);
  EXPECT_EQ(st.mtime, 42);
  EXPECT_FALSE(st.is_dir());
  // {"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-05-01T12:00:00.123456789+02:00","linkTarget":""}
  auto dir = parse_path_stat(
      "eyJuYW1lIjoiZXRjIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI0LTA1LTAxVDEyOjAwOjAwLjEyMzQ1"
      "Njc4OSswMjowMCIsImxpbmtUYXJnZXQiOiIifQ==");
  EXPECT_TRUE(dir.is_dir());
  EXPECT_EQ(dir.perm(), 0755u);
  EXPECT_EQ(dir.mtime, 1714557600);  // 2024-05-01T10:00:00Z
}

TEST(PathStat, RejectsMalformedHeaders) {
  EXPECT_THROW(parse_path_stat(""), DockerError);
  EXPECT_THROW(parse_path_stat("not base64!"), DockerError);
  EXPECT_THROW(parse_path_stat("e30="), DockerError);  // {} : no size
  EXPECT_THROW(parse_path_stat(std::string(20000, 'A')), DockerError);
}

// GET /info as engines answer it: 20.10 (no DiscoveredDevices), with the
// NVIDIA container toolkit's runtime registered, and 28.x with CDI devices.
TEST(EngineInfo, ReadsHostNameRuntimesAndCdiDevices) {
  auto plain = engine_info_from_json(nlohmann::json::parse(
      R"({"Name":"gpu-box-1","ServerVersion":"20.10.24+dfsg1","Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"runc":{"path":"runc"}},"DefaultRuntime":"runc"})"));
  EXPECT_EQ(plain.name, "gpu-box-1");
  EXPECT_EQ(plain.server_version, "20.10.24+dfsg1");
  EXPECT_EQ(plain.runtimes, (std::vector<std::string>{"io.containerd.runc.v2", "runc"}));
  EXPECT_TRUE(plain.cdi_devices.empty());
  auto nvidia = engine_info_from_json(nlohmann::json::parse(
      R"({"Name":"lab","Runtimes":{"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}},
          "DiscoveredDevices":[{"Source":"cdi","ID":"nvidia.com/gpu=0"},{"Source":"cdi","ID":"nvidia.com/gpu=all"}]})"));
  EXPECT_EQ(nvidia.runtimes, (std::vector<std::string>{"nvidia", "runc"}));
  EXPECT_EQ(nvidia.cdi_devices, (std::vector<std::string>{"nvidia.com/gpu=0", "nvidia.com/gpu=all"}));
  EXPECT_EQ(engine_info_from_json(nlohmann::json::array()).name, "");
}

// GET /containers/{id}/logs of a container without a TTY: 8-byte frame
// headers (stream, 0, 0, 0, big-endian size) before each payload.
TEST(LogStream, FramesAreJoinedAndRawOutputKept) {
  std::string framed;
  auto frame = [&](char stream, const std::string& payload) {
    framed += stream;
    framed += std::string(3, '\0');
    for (int shift : {24, 16, 8, 0}) framed += static_cast<char>((payload.size() >> shift) & 0xff);
    framed += payload;
  };
  frame(1, "level=info msg=starting\n");
  frame(2, "bind: address already in use\n");
  EXPECT_EQ(demux_log_stream(framed), "level=info msg=starting\nbind: address already in use\n");
  EXPECT_EQ(demux_log_stream("plain tty output\n"), "plain tty output\n");
  EXPECT_EQ(demux_log_stream(framed.substr(0, framed.size() - 3)), framed.substr(0, framed.size() - 3))
      << "a cut frame is not guessed at";
}
