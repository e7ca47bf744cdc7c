#pragma once
// When the proxy may send a request to Ollama a second time after the first
// attempt failed. Replaying is only safe when the first attempt cannot have
// been acted on: a second /api/pull, /api/create, /api/copy, /api/push or
// /api/delete would repeat its effect (or, for a delete, answer 404 for a
// model that the first attempt did delete), and a second /api/generate after
// a timeout would make Ollama work twice. The rule is Go net/http
// Transport's (persistConn.shouldRetryRequest), which the project's own HTTP
// client (clients/http) follows as well:
//   - only on a reused keep-alive connection: a fresh one failing means
//     Ollama itself failed, and it would again;
//   - never after any byte of the response arrived, never after a timeout;
//   - any method when not one byte of the request was written (the write
//     itself failed: the connection was closed before our request);
//   - GET, HEAD and OPTIONS also when Ollama closed the connection without a
//     byte of answer after the request was written: these methods change
//     nothing, so a repetition is harmless. DELETE is idempotent in HTTP's
//     terms, but not here: the second attempt's 404 would lie.
// The whole request must still be at hand (the caller's bounded copy).
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstddef>

namespace stackd::exporter {

struct FailedAttempt {
  boost::beast::http::verb method;
  bool reused_connection = false;      // the upstream connection came from the pool
  std::size_t request_bytes_written = 0;  // accepted by the kernel before the failure
  bool response_started = false;       // any byte of the response was parsed
  boost::beast::error_code error;      // what failed (write, or read of the response header)
  bool request_at_hand = false;        // header and whole body are still held, unchanged
};

bool may_replay(const FailedAttempt& attempt);

// The error says the peer closed or reset the connection (not a timeout, not
// a protocol error).
bool is_connection_closed(const boost::beast::error_code& ec);

}  // namespace stackd::exporter
