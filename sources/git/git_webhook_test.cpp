#include "sources/git/git_webhook.hpp"

#include <gtest/gtest.h>

namespace stackd::git {
namespace {

const std::string kSecret = "It's a Secret to Everybody";
const std::string kBody = "Hello, World!";

WebhookRequest post(std::map<std::string, std::string> headers, std::string body = kBody) {
  return {"POST", std::move(headers), std::move(body)};
}

TEST(Webhook, HmacMatchesGitHubsDocumentedExample) {
  // GitHub's "Validating webhook deliveries" test values.
  EXPECT_EQ(hmac_sha256_hex(kSecret, kBody), "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(Webhook, GitHubSignature) {
  auto good = handle_git_webhook(post({{"x-hub-signature-256", "sha256=" + hmac_sha256_hex(kSecret, kBody)}}), kSecret);
  EXPECT_EQ(good.status, 202);
  EXPECT_TRUE(good.trigger);
  auto bad = handle_git_webhook(post({{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("wrong", kBody)}}), kSecret);
  EXPECT_EQ(bad.status, 401);
  EXPECT_FALSE(bad.trigger);
  auto tampered = handle_git_webhook(
      post({{"x-hub-signature-256", "sha256=" + hmac_sha256_hex(kSecret, kBody)}}, kBody + " "), kSecret);
  EXPECT_EQ(tampered.status, 401);
  auto no_prefix = handle_git_webhook(post({{"x-hub-signature-256", hmac_sha256_hex(kSecret, kBody)}}), kSecret);
  EXPECT_EQ(no_prefix.status, 401);
}

TEST(Webhook, GiteaSignature) {
  EXPECT_TRUE(handle_git_webhook(post({{"x-gitea-signature", hmac_sha256_hex(kSecret, kBody)}}), kSecret).trigger);
  EXPECT_EQ(handle_git_webhook(post({{"x-gitea-signature", "00"}}), kSecret).status, 401);
}

TEST(Webhook, GitLabToken) {
  EXPECT_TRUE(handle_git_webhook(post({{"x-gitlab-token", kSecret}}), kSecret).trigger);
  auto bad = handle_git_webhook(post({{"x-gitlab-token", kSecret + "x"}}), kSecret);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body.find(kSecret), std::string::npos);
}

TEST(Webhook, RefusesWithoutSignatureOrSecretOrWithAHugeBody) {
  EXPECT_EQ(handle_git_webhook(post({}), kSecret).status, 401);
  EXPECT_FALSE(handle_git_webhook(post({{"x-gitlab-token", ""}}), "").trigger);
  EXPECT_EQ(handle_git_webhook(post({{"x-gitlab-token", ""}}), "").status, 401);
  EXPECT_EQ(handle_git_webhook({"GET", {{"x-gitlab-token", kSecret}}, ""}, kSecret).status, 405);
  std::string huge(kMaxWebhookBody + 1, 'x');
  auto r = handle_git_webhook(post({{"x-hub-signature-256", "sha256=" + hmac_sha256_hex(kSecret, huge)}}, huge), kSecret);
  EXPECT_EQ(r.status, 413);
  EXPECT_FALSE(r.trigger);
}

TEST(Webhook, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

}  // namespace
}  // namespace stackd::git
