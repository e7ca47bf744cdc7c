#include "exporter/proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/nonblocking_io.hpp"
#include "exporter/replay_rule.hpp"
#include "exporter/request_model.hpp"
#include "exporter/stream_meter.hpp"

namespace stackd::exporter {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Headers that describe one hop, not the message (RFC 9110 §7.6.1). Beast
// manages Connection/Transfer-Encoding itself; the rest are dropped.
void strip_hop_by_hop(bhttp::fields& f) {
  for (auto field : {bhttp::field::proxy_connection, bhttp::field::keep_alive, bhttp::field::te, bhttp::field::trailer,
                     bhttp::field::upgrade, bhttp::field::proxy_authorization, bhttp::field::proxy_authenticate})
    f.erase(field);
}


using ResponseParser = bhttp::response_parser<bhttp::buffer_body>;

// A complete small answer of the proxy's own (502, 504, 4xx, /metrics).
net::awaitable<bool> write_simple(tcp::socket& s, bhttp::response<bhttp::string_body>& res) {
  auto [ec, n] = co_await bhttp::async_write(s, res, use_tuple);
  co_return !ec;
}

bhttp::response<bhttp::string_body> json_error(bhttp::status status, unsigned version, std::string_view message) {
  bhttp::response<bhttp::string_body> res{status, version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = nlohmann::json{{"error", message}}.dump();
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

// The bookkeeping of one request while it is relayed.
struct Proxy::Exchange {
  Clock::time_point start = Clock::now();
  std::string endpoint;
  std::string model;  // bounded label value
  bool slot = false;  // counted in slot_users_
  std::string status;
  bool streamed = false;
  std::optional<StreamMeter> meter;
};

Proxy::Proxy(net::any_io_executor ex, ProxyConfig cfg, const metrics::Registry& registry, OllamaMetrics& metrics,
             ModelLabels& labels)
    : cfg_(std::move(cfg)),
      registry_(registry),
      metrics_(metrics),
      labels_(labels),
      pool_(ex, cfg_.upstream_host, cfg_.upstream_port),
      watchdog_(ex) {}

void Proxy::begin(Exchange& x) {
  metrics_.in_flight.with({x.model}).inc();
  if (uses_model_slot(x.endpoint)) {
    x.slot = true;
    ++slot_users_[x.model];
    update_queue_depth();
  }
}

void Proxy::end(Exchange& x) {
  auto seconds = std::chrono::duration<double>(Clock::now() - x.start).count();
  metrics_.in_flight.with({x.model}).dec();
  if (x.slot) {
    if (--slot_users_[x.model] <= 0) slot_users_.erase(x.model);
    update_queue_depth();
  }
  std::string status = x.status;
  if (x.meter) {
    x.meter->finish();
    const auto& s = x.meter->stats();
    if (s.error && status.starts_with("2")) status = std::string(kStatusStreamError);
    if (s.prompt_tokens) metrics_.prompt_tokens.with({x.model}).inc(static_cast<double>(*s.prompt_tokens));
    if (s.generated_tokens) metrics_.generated_tokens.with({x.model}).inc(static_cast<double>(*s.generated_tokens));
    if (s.generated_tokens && s.eval_duration_ns && *s.eval_duration_ns > 0 && *s.generated_tokens > 0)
      metrics_.tokens_per_second.with({x.model}).observe(static_cast<double>(*s.generated_tokens) * 1e9 /
                                                          static_cast<double>(*s.eval_duration_ns));
  }
  metrics_.requests.with({x.endpoint, x.model, status}).inc();
  metrics_.request_duration.with({x.endpoint, x.model}).observe(seconds);
}

void Proxy::update_queue_depth() {
  // Ollama runs OLLAMA_NUM_PARALLEL requests per loaded model; the rest wait.
  // Its own queue bound (OLLAMA_MAX_QUEUE) does not cover requests for loaded
  // models, so the proxy's count is the only reliable measure.
  int waiting = 0;
  for (const auto& [model, n] : slot_users_) waiting += std::max(0, n - cfg_.num_parallel);
  metrics_.queue_depth.get().set(waiting);
}

net::awaitable<void> Proxy::serve(tcp::socket client) {
  ++open_->count;
  struct Count {
    std::shared_ptr<OpenConnections> open;
    ~Count() {
      --open->count;
      if (open->on_closed) open->on_closed();
    }
  } count{open_};

  WatchedConnection watch(client);
  watchdog_.add(watch);
  beast::error_code set_ec;
  client.set_option(tcp::no_delay(true), set_ec);
  client.non_blocking(true, set_ec);  // see nonblocking_io.hpp
  beast::flat_buffer client_buf;
  std::vector<char> buf(cfg_.relay_buffer_bytes);
  const auto idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.client_idle_timeout);
  const auto write_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.client_write_timeout);
  const auto upstream_timeout = cfg_.upstream_timeout;

  for (;;) {
    // ---- request header from the client
    bhttp::request_parser<bhttp::buffer_body> req_parser;
    req_parser.header_limit(cfg_.max_header_bytes);
    req_parser.body_limit(boost::none);  // any size: it is relayed, never held
    watch.expect_client(idle_timeout);
    auto hec = co_await drive(client, tcp::socket::wait_read,
                              [&](beast::error_code& ec) { bhttp::read_header(client, client_buf, req_parser, ec); });
    if (hec) {
      // Tell a client with an oversized or malformed header why; a closed or
      // idle connection just ends.
      if (!watch.timed_out() &&
          (hec == bhttp::error::header_limit || (req_parser.got_some() && hec != net::error::eof &&
                                                 hec != bhttp::error::end_of_stream &&
                                                 hec != net::error::operation_aborted))) {
        bhttp::response<bhttp::string_body> bad{hec == bhttp::error::header_limit
                                                    ? bhttp::status::request_header_fields_too_large
                                                    : bhttp::status::bad_request,
                                                11};
        bad.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        bad.body() = hec.message() + "\n";
        bad.keep_alive(false);
        bad.prepare_payload();
        watch.expect_client(write_timeout);
        co_await write_simple(client, bad);
      }
      break;
    }
    auto& req = req_parser.get();
    bool client_keep_alive = req.keep_alive();

    if (req.target() == "/metrics" && (req.method() == bhttp::verb::get || req.method() == bhttp::verb::head)) {
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::content_type, metrics::Registry::content_type);
      res.keep_alive(client_keep_alive);
      if (req.method() == bhttp::verb::get) res.body() = registry_.expose();
      res.prepare_payload();
      watch.expect_client(write_timeout);
      if (!co_await write_simple(client, res) || !client_keep_alive) break;
      // A /metrics request with a body is not expected; drain it by closing.
      if (!req_parser.is_done()) break;
      continue;
    }

    Exchange x;
    x.endpoint = endpoint_label(req.target());
    const bool head_request = req.method() == bhttp::verb::head;

    // "Expect: 100-continue" is answered here: relaying the interim response
    // through would need a second response parser for no benefit.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      req.erase(bhttp::field::expect);
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      watch.expect_client(write_timeout);
      auto [cec, cn] = co_await net::async_write(client, net::buffer(cont), use_tuple);
      if (cec) break;
    }

    // ---- connect upstream
    std::unique_ptr<UpstreamConnection> up;
    watch.clear();
    try {
      up = co_await pool_.acquire();
    } catch (const std::exception& e) {
      spdlog::warn("ollama upstream {}:{} unreachable: {}", cfg_.upstream_host, cfg_.upstream_port, e.what());
    }
    if (!up) {
      begin(x);
      x.status = std::string(kStatusUpstreamFailed);
      end(x);
      auto res = json_error(bhttp::status::bad_gateway, req.version(), "ollama is not reachable through the metering proxy");
      watch.expect_client(write_timeout);
      co_await write_simple(client, res);
      break;
    }

    // ---- relay the request (header, then body piece by piece)
    strip_hop_by_hop(req);
    req.keep_alive(true);  // upstream connections are pooled whatever the client does
    std::string sniff;     // bounded prefix of the body: to find "model", and for a replay
    std::size_t body_bytes = 0;
    std::size_t written = 0;  // request bytes the kernel accepted for Ollama
    beast::error_code upstream_ec;
    bool upstream_ok = true;
    bool client_ok = true;
    {
      bhttp::request_serializer<bhttp::buffer_body> sr{req};
      do {
        if (!req_parser.is_done()) {
          req.body().data = buf.data();
          req.body().size = buf.size();
          watch.expect_client(idle_timeout);
          auto rec = co_await drive(client, tcp::socket::wait_read,
                                    [&](beast::error_code& ec) { bhttp::read_some(client, client_buf, req_parser, ec); });
          if (rec == bhttp::error::need_buffer) rec = {};
          if (rec) {
            client_ok = false;
            break;
          }
          std::size_t got = buf.size() - req.body().size;
          body_bytes += got;
          if (sniff.size() < cfg_.model_sniff_bytes)
            sniff.append(buf.data(), std::min(got, cfg_.model_sniff_bytes - sniff.size()));
          req.body().data = buf.data();
          req.body().size = got;
          req.body().more = !req_parser.is_done();
          if (got == 0 && !req_parser.is_done()) continue;
        } else {
          req.body().data = nullptr;
          req.body().size = 0;
          req.body().more = false;
        }
        watch.expect_upstream(up->socket, upstream_timeout);
        auto wec = co_await drive(up->socket, tcp::socket::wait_write,
                                  [&](beast::error_code& ec) { written += bhttp::write(up->socket, sr, ec); });
        if (wec == bhttp::error::need_buffer) wec = {};
        if (wec) {
          upstream_ec = watch.timed_out() ? beast::error::timeout : wec;
          upstream_ok = false;
          break;
        }
      } while (!req_parser.is_done() || !sr.is_done());
    }
    x.model = labels_.label(request_model(sniff));
    begin(x);
    if (!client_ok) {  // client went away (or stalled) while sending its body
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }

    // ---- relay the response
    auto res_parser = std::make_unique<ResponseParser>();
    auto prepare_parser = [&] {
      res_parser->header_limit(cfg_.max_header_bytes);
      res_parser->body_limit(boost::none);
      if (head_request) res_parser->skip(true);
    };
    prepare_parser();
    bool left = false;
    // Until the header arrives Ollama may be queueing, loading the model and
    // evaluating the prompt: minutes without a byte. The watchdog notices a
    // client that leaves meanwhile and closes the upstream connection, which
    // makes Ollama cancel the request instead of generating for nobody.
    auto read_header = [&](UpstreamConnection& c) -> net::awaitable<beast::error_code> {
      watch.expect_upstream(c.socket, upstream_timeout, /*watch_client_left=*/true);
      auto ec = co_await drive(c.socket, tcp::socket::wait_read,
                               [&](beast::error_code& e) { bhttp::read_header(c.socket, c.buffer, *res_parser, e); });
      if (watch.client_left()) left = true;
      if (ec && watch.timed_out()) ec = beast::error::timeout;
      co_return ec;
    };
    if (upstream_ok) {
      if (auto uec = co_await read_header(*up)) {
        upstream_ec = uec;
        upstream_ok = false;
      }
    }
    if (left) {
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }
    // A pooled connection can be closed by Ollama just as a request is sent
    // on it; replay_rule.hpp says when sending it again cannot repeat what
    // Ollama already did.
    if (!upstream_ok &&
        may_replay(FailedAttempt{.method = req.method(),
                                 .reused_connection = up->reused,
                                 .request_bytes_written = written,
                                 .response_started = res_parser->got_some(),
                                 .error = upstream_ec,
                                 .request_at_hand = req_parser.is_done() && body_bytes == sniff.size()})) {
      up.reset();
      watch.clear();
      try {
        up = co_await pool_.acquire(/*fresh=*/true);
      } catch (const std::exception& e) {
        spdlog::warn("cannot reconnect to ollama: {}", e.what());
      }
      if (up) {
        bhttp::request<bhttp::string_body> again{req.base(), sniff};
        again.prepare_payload();
        watch.expect_upstream(up->socket, upstream_timeout);
        auto [wec, wn] = co_await bhttp::async_write(up->socket, again, use_tuple);
        res_parser = std::make_unique<ResponseParser>();
        prepare_parser();
        upstream_ec = wec && watch.timed_out() ? beast::error::timeout : wec;
        if (!wec) upstream_ec = co_await read_header(*up);
        upstream_ok = !upstream_ec;
      }
      if (left) {
        x.status = std::string(kStatusClientClosed);
        end(x);
        break;
      }
    }
    if (!upstream_ok) {
      const bool timeout = upstream_ec == beast::error::timeout;
      spdlog::warn("ollama upstream failed during {} {}: {}", std::string(req.method_string()), x.endpoint,
                   timeout ? "no answer within the upstream timeout" : upstream_ec.message());
      x.status = std::string(timeout ? kStatusUpstreamTimeout : kStatusUpstreamFailed);
      end(x);
      auto res = timeout ? json_error(bhttp::status::gateway_timeout, req.version(), "ollama did not answer in time")
                         : json_error(bhttp::status::bad_gateway, req.version(), "ollama closed the connection");
      watch.expect_client(write_timeout);
      co_await write_simple(client, res);
      break;
    }
    auto& res = res_parser->get();
    bool upstream_keep_alive = res.keep_alive();
    x.status = std::to_string(res.result_int());
    auto format = body_format(res[bhttp::field::content_type]);
    x.streamed = format == BodyFormat::NdJson || format == BodyFormat::Sse;
    if (!head_request) x.meter.emplace(format);
    strip_hop_by_hop(res);
    res.keep_alive(client_keep_alive);

    bool upstream_done = true;
    {
      bhttp::response_serializer<bhttp::buffer_body> sr{res};
      do {
        if (!res_parser->is_done()) {
          res.body().data = buf.data();
          res.body().size = buf.size();
          watch.expect_upstream(up->socket, upstream_timeout);
          auto rec = co_await drive(up->socket, tcp::socket::wait_read, [&](beast::error_code& ec) {
            bhttp::read_some(up->socket, up->buffer, *res_parser, ec);
          });
          if (rec == bhttp::error::need_buffer) rec = {};
          if (rec) {
            upstream_done = false;
            upstream_ok = false;
            break;
          }
          std::size_t got = buf.size() - res.body().size;
          if (got > 0 && x.meter && x.meter->feed(std::string_view(buf.data(), got)) && x.streamed)
            metrics_.time_to_first_token.with({x.model}).observe(
                std::chrono::duration<double>(Clock::now() - x.start).count());
          res.body().data = buf.data();
          res.body().size = got;
          res.body().more = !res_parser->is_done();
          if (got == 0 && !res_parser->is_done()) continue;
        } else {
          res.body().data = nullptr;
          res.body().size = 0;
          res.body().more = false;
        }
        watch.expect_client(write_timeout);
        auto wec = co_await drive(client, tcp::socket::wait_write,
                                  [&](beast::error_code& ec) { bhttp::write(client, sr, ec); });
        if (wec == bhttp::error::need_buffer) wec = {};
        if (wec) {
          client_ok = false;
          break;
        }
      } while (!res_parser->is_done() || !sr.is_done());
    }

    if (!client_ok) {
      // Dropping the upstream connection makes Ollama cancel the generation.
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }
    if (!upstream_done) {
      // Ollama broke off (or fell silent) mid-body; the client's response
      // cannot be completed.
      if (x.status.starts_with("2")) x.status = std::string(kStatusUpstreamFailed);
      end(x);
      break;
    }
    end(x);
    if (upstream_keep_alive && upstream_ok) pool_.release(std::move(up));
    if (!client_keep_alive) break;
  }

  watch.clear();
  beast::error_code ignored;
  client.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace stackd::exporter
