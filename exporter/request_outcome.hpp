#pragma once
// How a proxied request ended, as the bounded label values of
// ollama_request_errors_total{kind} and ollama_requests_finished_total{reason}.
// Pure decisions; the proxy does the counting.
#include <array>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace stackd::exporter {

// How the exchange with Ollama ended, from the proxy's side.
enum class Ending {
  Answered,     // Ollama's response was relayed to its end
  ClientLeft,   // the client went away first (counted 499)
  Unreachable,  // no connection to Ollama, or it closed before answering (502)
  BrokeOff,     // Ollama's answer stopped mid-body (a 2xx counts 502)
  TimedOut,     // Ollama was silent for the upstream timeout (504, or 502 mid-body)
};

enum class ErrorKind {
  Busy,                 // 503: Ollama's queue is full (server busy)
  Cancelled,            // 499: the client left, or Ollama says it cancelled
  ModelNotFound,        // 404 for a request that names a model
  BadRequest,           // any other 4xx
  UpstreamUnreachable,  // Ollama could not be reached or closed without an answer
  Timeout,              // Ollama silent for --upstream-timeout-ms
  StreamError,          // {"error": ...} in a 2xx body, or a 2xx body cut off
  ServerError,          // any other 5xx
};
inline constexpr std::size_t kErrorKinds = 8;

std::string_view error_kind_label(ErrorKind k);

// The error kind of a request, or nullopt when it succeeded.
std::optional<ErrorKind> error_kind(Ending ending, unsigned http_status, bool body_error, bool has_model);

// Bounds the `reason` label (Ollama's done_reason, OpenAI's finish_reason):
// the values Ollama and its OpenAI layer send are always accepted; up to
// max_unknown other short lower-case words (values Ollama may add later) are
// accepted on first sight; anything else is "other".
class ReasonLabels {
 public:
  explicit ReasonLabels(std::size_t max_unknown = 16) : max_unknown_(max_unknown) {}
  std::string label(std::string_view reason);

 private:
  std::size_t max_unknown_;
  std::set<std::string, std::less<>> unknown_;
};

}  // namespace stackd::exporter
