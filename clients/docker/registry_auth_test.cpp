#include "clients/docker/registry_auth.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace stackd::docker {
namespace {

namespace fs = std::filesystem;

class RegistryAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stackd-registry-auth-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bin");
    config_.config_file = dir_ / "config.json";
    config_.helper_path = (dir_ / "bin").string();
    config_.helper_timeout = std::chrono::seconds(2);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write_config(const std::string& json) { std::ofstream(config_.config_file) << json; }
  // A real credential helper program, as the CLI would run it.
  void helper(const std::string& name, const std::string& script) {
    auto p = dir_ / "bin" / ("docker-credential-" + name);
    std::ofstream(p) << "#!/bin/sh\n" << script;
    ::chmod(p.c_str(), 0755);
  }
  fs::path dir_;
  RegistryAuthConfig config_;
};

std::string decode_header(std::string s) {
  for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std::string out(s.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

TEST(RegistryOf, NamesTheRegistryAsTheCliDoes) {
  EXPECT_EQ(registry_of("127.0.0.1:5000/team/x:1"), "127.0.0.1:5000");
  EXPECT_EQ(registry_of("registry.example.com/x"), "registry.example.com");
  EXPECT_EQ(registry_of("localhost/x:1"), "localhost");
  EXPECT_EQ(registry_of("prom/prometheus:v2.53.2"), "https://index.docker.io/v1/");
  EXPECT_EQ(registry_of("debian:12"), "https://index.docker.io/v1/");
  EXPECT_EQ(registry_of("docker.io/library/debian"), "https://index.docker.io/v1/");
}

TEST_F(RegistryAuthTest, NoConfigFileMeansAnonymous) {
  EXPECT_FALSE(find_credentials(config_, "127.0.0.1:5000"));
}

TEST_F(RegistryAuthTest, AuthsEntryIsDecodedAndMatchedByHostname) {
  // base64("alice:s3cr:et") — a password may contain ':'.
  write_config(R"({"auths": {"https://127.0.0.1:5000/v2/": {"auth": "YWxpY2U6czNjcjpldA=="},
                             "other:1": {"auth": "Ym9iOng="}}})");
  auto c = find_credentials(config_, "127.0.0.1:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "s3cr:et");
  EXPECT_FALSE(find_credentials(config_, "127.0.0.1:5001"));
}

TEST_F(RegistryAuthTest, DockerHubKeyMatchesHubImages) {
  write_config(R"({"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"}}})");
  auto c = find_credentials(config_, registry_of("prom/prometheus"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "hub");
}

TEST_F(RegistryAuthTest, HeaderIsBase64UrlJsonTheEngineReads) {
  RegistryCredentials c{.server_address = "127.0.0.1:5000", .username = "alice", .password = "p>?w"};
  auto h = registry_auth_header(c);
  EXPECT_EQ(h.find_first_of("+/"), std::string::npos) << h;
  auto j = nlohmann::json::parse(decode_header(h));
  EXPECT_EQ(j["username"], "alice");
  EXPECT_EQ(j["password"], "p>?w");
  EXPECT_EQ(j["serveraddress"], "127.0.0.1:5000");
}

TEST_F(RegistryAuthTest, CredHelperForTheRegistryWinsOverAuths) {
  helper("test", "read reg; [ \"$1\" = get ] || exit 3\n"
                 "echo \"{\\\"ServerURL\\\":\\\"$reg\\\",\\\"Username\\\":\\\"helper-user\\\",\\\"Secret\\\":\\\"pw-$reg\\\"}\"\n");
  write_config(R"({"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6eA=="}}, "credHelpers": {"127.0.0.1:5000": "test"}})");
  auto c = find_credentials(config_, "127.0.0.1:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "helper-user");
  EXPECT_EQ(c->password, "pw-127.0.0.1:5000");  // the helper was told which registry
}

TEST_F(RegistryAuthTest, CredsStoreNotFoundMeansAnonymous) {
  helper("store", "echo 'credentials not found in native keychain'; exit 1\n");
  write_config(R"({"credsStore": "store"})");
  EXPECT_FALSE(find_credentials(config_, "127.0.0.1:5000"));
}

TEST_F(RegistryAuthTest, IdentityTokenFromHelper) {
  helper("tok", "echo '{\"Username\":\"<token>\",\"Secret\":\"refresh\"}'\n");
  write_config(R"({"credsStore": "tok"})");
  auto c = find_credentials(config_, "r.example");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->identity_token, "refresh");
  auto j = nlohmann::json::parse(decode_header(registry_auth_header(*c)));
  EXPECT_EQ(j["identitytoken"], "refresh");
  EXPECT_FALSE(j.contains("password"));
}

TEST_F(RegistryAuthTest, BrokenConfigsAndHelpersAreClearErrorsWithoutSecrets) {
  write_config("{not json");
  try {
    find_credentials(config_, "127.0.0.1:5000");
    FAIL();
  } catch (const RegistryAuthError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: not a JSON object"), std::string::npos) << e.what();
  }
  write_config(R"({"credsStore": "missing"})");
  EXPECT_THROW(find_credentials(config_, "x.io"), RegistryAuthError);
  write_config(R"({"credsStore": "../evil"})");
  EXPECT_THROW(find_credentials(config_, "x.io"), RegistryAuthError);
  helper("fails", "echo 'keychain locked'; exit 2\n");
  write_config(R"({"credsStore": "fails"})");
  try {
    find_credentials(config_, "x.io");
    FAIL();
  } catch (const RegistryAuthError& e) {
    EXPECT_NE(std::string(e.what()).find("keychain locked"), std::string::npos) << e.what();
  }
  write_config(R"({"auths": {"x.io": {"auth": "bm9jb2xvbg=="}}})");  // "nocolon"
  try {
    find_credentials(config_, "x.io");
    FAIL();
  } catch (const RegistryAuthError& e) {
    EXPECT_EQ(std::string(e.what()).find("nocolon"), std::string::npos) << e.what();
  }
}

TEST_F(RegistryAuthTest, AHelperThatHangsIsKilledAfterItsTimeout) {
  helper("hang", "exec sleep 30\n");
  write_config(R"({"credsStore": "hang"})");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(find_credentials(config_, "x.io"), RegistryAuthError);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace stackd::docker
