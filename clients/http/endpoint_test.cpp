#include "clients/http/endpoint.hpp"

#include <gtest/gtest.h>

using stackd::http::Endpoint;

TEST(Endpoint, ParsesUnixTcpAndHttp) {
  auto u = Endpoint::parse("unix:///var/run/docker.sock");
  EXPECT_EQ(u.kind, Endpoint::Kind::Unix);
  EXPECT_EQ(u.socket_path, "/var/run/docker.sock");

  auto t = Endpoint::parse("tcp://127.0.0.1:2375");
  EXPECT_EQ(t.kind, Endpoint::Kind::Tcp);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 2375);

  auto h = Endpoint::parse("http://localhost:3000/grafana/");
  EXPECT_EQ(h.host, "localhost");
  EXPECT_EQ(h.port, 3000);
  EXPECT_EQ(h.base_path, "/grafana");
  EXPECT_EQ(h.host_header(), "localhost:3000");

  auto v6 = Endpoint::parse("http://[::1]:9090");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 9090);
  EXPECT_EQ(v6.host_header(), "[::1]:9090");
}

TEST(Endpoint, RejectsBadUrls) {
  EXPECT_THROW(Endpoint::parse("ftp://x"), std::invalid_argument);
  EXPECT_THROW(Endpoint::parse("unix://relative.sock"), std::invalid_argument);
  EXPECT_THROW(Endpoint::parse("http://host:99999"), std::invalid_argument);
  EXPECT_THROW(Endpoint::parse("http://:80"), std::invalid_argument);
  EXPECT_THROW(Endpoint::parse("https://secure"), std::invalid_argument);
}
