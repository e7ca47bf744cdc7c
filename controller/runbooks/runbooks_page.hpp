#pragma once
// The runbooks of the shipped alerts (docs/runbooks.md, built into stackd) as
// a page on the daemon's HTTP endpoint: GET /runbooks. Every alert's
// runbook_url is `<base>#<anchor>` with the anchor a heading's GitHub slug
// ("## OllamaDown" -> #ollamadown), so the page is HTML with those ids: a
// fragment scrolls only in a rendered page, and text/markdown would be shown
// as a download or raw text. Rendered once, with cmark (CommonMark).
#include <string>
#include <string_view>

#include "runtime/http_endpoints.hpp"

namespace stackd::runbooks {

inline constexpr const char* kPath = "/runbooks";

// docs/runbooks.md as this binary was built with it.
std::string_view markdown();

// GitHub's anchor of a heading: lower case, spaces to '-', other
// punctuation dropped ("OllamaHighResponseTime" -> "ollamahighresponsetime").
std::string heading_anchor(std::string_view heading);

// A whole HTML page of `text` (CommonMark), every heading carrying its anchor.
std::string render_page(std::string_view text);

// The answer to GET /runbooks: the page of markdown(), rendered once.
runtime::RouteResponse respond();

}  // namespace stackd::runbooks
