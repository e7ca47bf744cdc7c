#include "controller/runbooks/runbooks_page.hpp"

#include <cmark.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace stackd::runbooks {

namespace {

// The text of a node's inline children (text and code spans).
std::string text_of(cmark_node* node) {
  std::string out;
  for (cmark_node* c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
    auto type = cmark_node_get_type(c);
    if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE) {
      if (const char* literal = cmark_node_get_literal(c)) out += literal;
    } else {
      out += text_of(c);
    }
  }
  return out;
}

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string heading_anchor(std::string_view heading) {
  std::string out;
  for (char c : heading) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') out += static_cast<char>(std::tolower(u));
    else if (c == ' ') out += '-';
    else if (u >= 0x80) out += c;  // GitHub keeps letters beyond ASCII
  }
  return out;
}

std::string render_page(std::string_view text) {
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(
      cmark_parse_document(text.data(), text.size(), CMARK_OPT_DEFAULT), &cmark_node_free);
  if (!doc) throw std::runtime_error("cmark could not parse the runbooks");
  std::string title = "stackd runbooks";
  // Each heading gets an empty <a id=...> as its first child: its anchor.
  std::unique_ptr<cmark_iter, decltype(&cmark_iter_free)> it(cmark_iter_new(doc.get()), &cmark_iter_free);
  for (auto ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE; ev = cmark_iter_next(it.get())) {
    cmark_node* node = cmark_iter_get_node(it.get());
    if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_HEADING) continue;
    auto heading = text_of(node);
    if (cmark_node_get_heading_level(node) == 1) title = heading;
    cmark_node* anchor = cmark_node_new(CMARK_NODE_HTML_INLINE);
    auto html = "<a id=\"" + escape_html(heading_anchor(heading)) + "\"></a>";
    cmark_node_set_literal(anchor, html.c_str());
    cmark_node_prepend_child(node, anchor);
  }
  // UNSAFE keeps the anchors: the text is the project's own, built in.
  std::unique_ptr<char, decltype(&std::free)> body(cmark_render_html(doc.get(), CMARK_OPT_UNSAFE), &std::free);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape_html(title) +
         "</title>\n<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em;line-height:1.5}"
         "code{background:#f3f3f3;padding:0 .2em}</style>\n</head>\n<body>\n" +
         std::string(body.get()) + "</body>\n</html>\n";
}

runtime::RouteResponse respond() {
  static const std::string page = render_page(markdown());
  return runtime::RouteResponse{200, "text/html; charset=utf-8", page};
}

}  // namespace stackd::runbooks
