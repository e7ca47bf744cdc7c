#include "sources/git/git_webhook.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace stackd::git {

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &length);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(digits[mac[i] >> 4]);
    hex.push_back(digits[mac[i] & 0xf]);
  }
  return hex;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
const std::string* header(const WebhookRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? nullptr : &it->second;
}
}  // namespace

WebhookResponse handle_git_webhook(const WebhookRequest& request, const std::string& secret) {
  if (request.method != "POST") return {405, "POST only\n", false};
  if (request.body.size() > kMaxWebhookBody) return {413, "body too large\n", false};
  if (secret.empty()) return {401, "webhook secret not configured\n", false};
  bool valid = false;
  if (auto* sig = header(request, "x-hub-signature-256")) {
    const std::string prefix = "sha256=";
    valid = sig->size() > prefix.size() && lower(sig->substr(0, prefix.size())) == prefix &&
            constant_time_equal(lower(sig->substr(prefix.size())), hmac_sha256_hex(secret, request.body));
  } else if (auto* sig = header(request, "x-gitea-signature")) {
    valid = constant_time_equal(lower(*sig), hmac_sha256_hex(secret, request.body));
  } else if (auto* token = header(request, "x-gitlab-token")) {
    // Compare digests so that the time does not depend on the token's length.
    valid = constant_time_equal(hmac_sha256_hex("stackd", *token), hmac_sha256_hex("stackd", secret));
  } else {
    return {401, "missing X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token\n", false};
  }
  if (!valid) return {401, "invalid signature\n", false};
  // GitHub's ping on hook creation is acknowledged like a push: fetching is cheap.
  return {202, "fetch scheduled\n", true};
}

}  // namespace stackd::git
