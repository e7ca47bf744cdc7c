#include "sources/git/git_webhook_route.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sources/git/git_webhook.hpp"

namespace stackd::git {

runtime::RouteResponse respond_git_webhook(const runtime::HttpRequest& request, const std::string& secret,
                                          GitSource& source) {
  WebhookRequest hook;
  hook.method = std::string(request.method_string());
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    hook.headers.emplace(std::move(name), std::string(field.value()));
  }
  hook.body = request.body();
  auto verdict = handle_git_webhook(hook, secret);
  if (verdict.trigger) {
    spdlog::info("git: webhook accepted; fetching now");
    source.trigger();
  } else {
    spdlog::warn("git: webhook refused ({})", verdict.status);
  }
  return runtime::RouteResponse{.status = static_cast<unsigned>(verdict.status), .body = verdict.body};
}

}  // namespace stackd::git
