#include "api/v1alpha1/field_syntax.hpp"

#include <gtest/gtest.h>

using namespace stackd::manifest;

TEST(FieldSyntax, ImageReferences) {
  EXPECT_TRUE(is_image_reference("prom/prometheus:v2.53.2"));
  EXPECT_TRUE(is_image_reference("127.0.0.1:5000/x/y@sha256:abc"));
  EXPECT_FALSE(is_image_reference(""));
  EXPECT_FALSE(is_image_reference("-x"));
  EXPECT_FALSE(is_image_reference("a b"));
  EXPECT_FALSE(is_image_reference(std::string(1024 * 1024, 'a')));  // no stack overflow, just false
}

TEST(FieldSyntax, IpLiteralsOnly) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("0.0.0.0"));
  EXPECT_TRUE(is_ip_literal("::"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("fe80::1"));
  EXPECT_FALSE(is_ip_literal("999.1.1.1"));
  EXPECT_FALSE(is_ip_literal("1.2.3"));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal("[::1]"));
  EXPECT_FALSE(is_ip_literal("127.0.0.1 "));
  EXPECT_FALSE(is_ip_literal(std::string(100000, '1')));
}

TEST(FieldSyntax, VolumeSpecs) {
  auto v = parse_volume_spec("data:/prometheus:ro");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->name, "data");
  EXPECT_EQ(v->target, "/prometheus");
  EXPECT_TRUE(v->read_only);
  EXPECT_TRUE(parse_volume_spec("d:/x:rw"));
  EXPECT_FALSE(parse_volume_spec("/etc:/host/etc:ro"));
  EXPECT_FALSE(parse_volume_spec("d:relative"));
  EXPECT_FALSE(parse_volume_spec("d:/x:rx"));
  EXPECT_FALSE(parse_volume_spec("d:/x:ro:ro"));
  EXPECT_FALSE(parse_volume_spec("d:/a\nb"));
}

TEST(FieldSyntax, Urls) {
  EXPECT_FALSE(url_problem("http://host.docker.internal:11434", {"http"}));
  EXPECT_FALSE(url_problem("https://prom.example:9090/sub/path", {"http", "https"}));
  EXPECT_FALSE(url_problem("http://[::1]:9090", {"http"}));
  EXPECT_TRUE(url_problem("javascript:alert(1)", {"http", "https"}));
  EXPECT_TRUE(url_problem("file:///etc/passwd", {"http", "https"}));
  EXPECT_TRUE(url_problem("https://x", {"http"}));
  EXPECT_TRUE(url_problem("http://", {"http"}));
  EXPECT_TRUE(url_problem("http://a b", {"http"}));
  EXPECT_TRUE(url_problem("http://u:p@host", {"http"}));
  EXPECT_TRUE(url_problem("http://host:99999", {"http"}));
  EXPECT_TRUE(url_problem("http://host:", {"http"}));
  EXPECT_TRUE(url_problem("http://" + std::string(1024 * 1024, 'a'), {"http"}));
}

TEST(FieldSyntax, NamesAndShownValues) {
  EXPECT_TRUE(is_stack_name("frontier-llm"));
  EXPECT_FALSE(is_stack_name("Frontier"));
  EXPECT_FALSE(is_stack_name(std::string(41, 'a')));
  EXPECT_TRUE(is_network_name("frontier-monitoring"));
  EXPECT_FALSE(is_network_name(std::string(64, 'a')));
  EXPECT_TRUE(is_env_name("GRAFANA_ADMIN_PASSWORD"));
  EXPECT_FALSE(is_env_name("1X"));
  EXPECT_FALSE(is_env_name("A-B"));
  EXPECT_TRUE(is_grafana_uid("ollama-llm_1"));
  EXPECT_FALSE(is_grafana_uid(std::string(41, 'a')));
  EXPECT_EQ(shown(std::string(1000, 'x')).size(), 60u + std::string("... (1000 bytes)").size());
}
