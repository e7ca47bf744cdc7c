#pragma once
// POST /hooks/git on the daemon's HTTP endpoints: Beast request in, response
// out, GitSource::trigger() on a valid signature. The checks are
// handle_git_webhook()'s.
#include <string>

#include "runtime/http_endpoints.hpp"
#include "sources/git/git_source.hpp"

namespace stackd::git {

inline constexpr const char* kWebhookPath = "/hooks/git";

runtime::RouteResponse respond_git_webhook(const runtime::HttpRequest& request, const std::string& secret,
                                          GitSource& source);

}  // namespace stackd::git
