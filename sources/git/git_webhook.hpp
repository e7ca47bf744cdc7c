#pragma once
// POST /hooks/git: a push notification from the git host. Pure logic (no
// I/O): headers and body in, a status out, and whether to fetch now.
//
//   GitHub: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
//   Gitea:  X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>
//   GitLab: X-Gitlab-Token: <the secret itself>
//
// Comparisons are constant-time. Anything without a valid signature is 401
// and triggers nothing; the body is bounded (413) and never parsed: a valid
// signature only means "fetch now", what to apply always comes from git.
#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace stackd::git {

inline constexpr std::size_t kMaxWebhookBody = 1024 * 1024;  // GitHub caps payloads at 25 MB; pushes are KBs

struct WebhookRequest {
  std::string method;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

struct WebhookResponse {
  int status = 401;
  std::string body;  // one line for the sender's delivery log; never the secret
  bool trigger = false;
};

// secret: the content of --webhook-secret-file (empty refuses everything).
WebhookResponse handle_git_webhook(const WebhookRequest& request, const std::string& secret);

// Lower-case hex HMAC-SHA256 (exposed for tests and the benchmark's sender).
std::string hmac_sha256_hex(const std::string& key, const std::string& data);

// Equal length and content, in time independent of where they differ.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace stackd::git
