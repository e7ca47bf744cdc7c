#include "exporter/replay_rule.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

namespace stackd::exporter {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

bool is_connection_closed(const boost::beast::error_code& ec) {
  return ec == net::error::eof || ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

bool may_replay(const FailedAttempt& a) {
  if (!a.reused_connection || a.response_started || !a.request_at_hand) return false;
  if (!is_connection_closed(a.error)) return false;  // timeouts above all: Ollama may still be working on it
  if (a.request_bytes_written == 0) return true;
  return a.method == bhttp::verb::get || a.method == bhttp::verb::head || a.method == bhttp::verb::options;
}

}  // namespace stackd::exporter
