#include "exporter/usage_chunk_filter.hpp"

namespace stackd::exporter {

namespace {
constexpr std::string_view kZeroUsage = R"(,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0})";
}  // namespace

void UsageChunkFilter::feed(std::string_view piece, std::string& out) {
  while (!piece.empty()) {
    auto nl = piece.find('\n');
    std::string_view chunk = nl == std::string_view::npos ? piece : piece.substr(0, nl + 1);
    piece.remove_prefix(chunk.size());
    if (passing_) {
      out.append(chunk);
    } else if (partial_.size() + chunk.size() > max_line_) {
      passing_ = true;
      drop_separator_ = false;
      out.append(partial_);
      out.append(chunk);
      partial_.clear();
    } else if (nl != std::string_view::npos && partial_.empty()) {
      line(chunk, out);
    } else {
      partial_.append(chunk);
      if (nl != std::string_view::npos) {
        line(partial_, out);
        partial_.clear();
      }
    }
    if (nl != std::string_view::npos) passing_ = false;
  }
}

void UsageChunkFilter::finish(std::string& out) {
  if (!partial_.empty()) line(partial_, out);
  partial_.clear();
}

void UsageChunkFilter::line(std::string_view text, std::string& out) {
  std::string_view body = text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (drop_separator_) {
    drop_separator_ = false;
    if (body.empty()) return;
  }
  if (body.starts_with("data:") && body.find("\"usage\":") != std::string_view::npos) {
    if (body.find("\"choices\":[]") != std::string_view::npos) {
      drop_separator_ = true;  // the whole event goes
      return;
    }
    if (auto at = text.find(kZeroUsage); at != std::string_view::npos) {
      out.append(text.substr(0, at));
      out.append(text.substr(at + kZeroUsage.size()));
      return;
    }
  }
  out.append(text);
}

}  // namespace stackd::exporter
