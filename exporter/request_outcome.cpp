#include "exporter/request_outcome.hpp"

#include <algorithm>

namespace stackd::exporter {

std::string_view error_kind_label(ErrorKind k) {
  switch (k) {
    case ErrorKind::Busy: return "busy";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::ModelNotFound: return "model_not_found";
    case ErrorKind::BadRequest: return "bad_request";
    case ErrorKind::UpstreamUnreachable: return "upstream_unreachable";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::StreamError: return "stream_error";
    case ErrorKind::ServerError: return "server_error";
  }
  return "server_error";
}

std::optional<ErrorKind> error_kind(Ending ending, unsigned status, bool body_error, bool has_model) {
  switch (ending) {
    case Ending::ClientLeft: return ErrorKind::Cancelled;
    case Ending::Unreachable: return ErrorKind::UpstreamUnreachable;
    case Ending::TimedOut: return ErrorKind::Timeout;
    case Ending::BrokeOff:
      if (status >= 200 && status < 300) return ErrorKind::StreamError;
      break;
    case Ending::Answered: break;
  }
  if (status == 503) return ErrorKind::Busy;
  if (status == 499) return ErrorKind::Cancelled;  // Ollama's own "request canceled" (handleScheduleError)
  if (status == 404 && has_model) return ErrorKind::ModelNotFound;
  if (status >= 400 && status < 500) return ErrorKind::BadRequest;
  if (status >= 500) return ErrorKind::ServerError;
  if (body_error) return ErrorKind::StreamError;
  return std::nullopt;
}

std::string ReasonLabels::label(std::string_view reason) {
  // llm/server.go DoneReason (stop, length), server/routes.go (load, unload),
  // openai/openai.go FinishChunk (tool_calls).
  static constexpr std::array<std::string_view, 5> known = {"stop", "length", "load", "unload", "tool_calls"};
  if (std::find(known.begin(), known.end(), reason) != known.end()) return std::string(reason);
  const bool word = !reason.empty() && reason.size() <= 32 && std::all_of(reason.begin(), reason.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!word) return "other";
  if (unknown_.count(reason)) return std::string(reason);
  if (unknown_.size() >= max_unknown_) return "other";
  unknown_.emplace(reason);
  return std::string(reason);
}

}  // namespace stackd::exporter
