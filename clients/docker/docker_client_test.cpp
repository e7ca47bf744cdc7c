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
