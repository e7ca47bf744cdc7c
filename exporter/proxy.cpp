#include "exporter/proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
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

net::awaitable<beast::error_code> read_upstream_header(UpstreamConnection& up, ResponseParser& parser) {
  auto [ec, n] = co_await bhttp::async_read_header(up.stream, up.buffer, parser, use_tuple);
  co_return ec;
}

// Completes with true when the client closed its connection. Pipelined bytes
// of a next request are not a disconnect: then it waits to be cancelled.
net::awaitable<bool> client_left(tcp::socket& s) {
  auto [ec] = co_await s.async_wait(tcp::socket::wait_read, use_tuple);
  if (ec) co_return false;  // cancelled: Ollama answered first
  char byte;
  auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) co_return true;
  net::steady_timer forever(s.get_executor(), net::steady_timer::time_point::max());
  co_await forever.async_wait(use_tuple);
  co_return false;
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
      pool_(std::move(ex), cfg_.upstream_host, cfg_.upstream_port) {}

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

net::awaitable<void> Proxy::serve(tcp::socket socket) {
  ++connections_;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{connections_};

  beast::tcp_stream client(std::move(socket));
  client.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer client_buf;
  std::vector<char> buf(cfg_.relay_buffer_bytes);

  for (;;) {
    // ---- request header from the client
    bhttp::request_parser<bhttp::buffer_body> req_parser;
    req_parser.header_limit(cfg_.max_header_bytes);
    req_parser.body_limit(boost::none);  // any size: it is relayed, never held
    client.expires_after(cfg_.client_idle_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(client, client_buf, req_parser, use_tuple);
    if (hec) {
      // Tell a client with an oversized or malformed header why; a closed or
      // idle connection just ends.
      if (hec == bhttp::error::header_limit || (req_parser.got_some() && hec != net::error::eof &&
                                                hec != bhttp::error::end_of_stream && hec != beast::error::timeout)) {
        bhttp::response<bhttp::string_body> bad{hec == bhttp::error::header_limit
                                                    ? bhttp::status::request_header_fields_too_large
                                                    : bhttp::status::bad_request,
                                                11};
        bad.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        bad.body() = hec.message() + "\n";
        bad.keep_alive(false);
        bad.prepare_payload();
        client.expires_after(cfg_.client_write_timeout);
        co_await bhttp::async_write(client, bad, use_tuple);
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
      client.expires_after(cfg_.client_write_timeout);
      auto [wec, wn] = co_await bhttp::async_write(client, res, use_tuple);
      if (wec || !client_keep_alive) break;
      // A /metrics request with a body is not expected; drain it by closing.
      if (!req_parser.is_done()) break;
      continue;
    }

    Exchange x;
    x.endpoint = endpoint_label(req.target());
    bool head_request = req.method() == bhttp::verb::head;

    // "Expect: 100-continue" is answered here: relaying the interim response
    // through would need a second response parser for no benefit.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      req.erase(bhttp::field::expect);
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [cec, cn] = co_await net::async_write(client, net::buffer(cont), use_tuple);
      if (cec) break;
    }

    // ---- connect upstream
    std::unique_ptr<UpstreamConnection> up;
    try {
      up = co_await pool_.acquire();
    } catch (const std::exception& e) {
      spdlog::warn("ollama upstream {}:{} unreachable: {}", cfg_.upstream_host, cfg_.upstream_port, e.what());
    }
    if (!up) {
      x.model = "";
      begin(x);
      x.status = std::string(kStatusUpstreamFailed);
      end(x);
      bhttp::response<bhttp::string_body> res{bhttp::status::bad_gateway, req.version()};
      res.set(bhttp::field::content_type, "application/json; charset=utf-8");
      res.body() = R"({"error":"ollama is not reachable through the metering proxy"})";
      res.keep_alive(false);
      res.prepare_payload();
      co_await bhttp::async_write(client, res, use_tuple);
      break;
    }

    // ---- relay the request (header, then body piece by piece)
    strip_hop_by_hop(req);
    req.keep_alive(true);  // upstream connections are pooled whatever the client does
    std::string sniff;     // bounded prefix of the body, only to find "model"
    std::size_t body_bytes = 0;
    beast::error_code upstream_ec;
    bool upstream_ok = true;
    bool client_ok = true;
    {
      bhttp::request_serializer<bhttp::buffer_body> sr{req};
      up->stream.expires_after(cfg_.upstream_timeout);
      do {
        if (!req_parser.is_done()) {
          req.body().data = buf.data();
          req.body().size = buf.size();
          client.expires_after(cfg_.client_idle_timeout);
          auto [rec, rn] = co_await bhttp::async_read_some(client, client_buf, req_parser, use_tuple);
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
        auto [wec, wn] = co_await bhttp::async_write(up->stream, sr, use_tuple);
        if (wec == bhttp::error::need_buffer) wec = {};
        if (wec) {
          upstream_ec = wec;
          upstream_ok = false;
          break;
        }
      } while (!req_parser.is_done() || !sr.is_done());
    }
    x.model = labels_.label(request_model(sniff));
    begin(x);
    if (!client_ok) {  // client went away while sending its body
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }

    // ---- relay the response
    auto res_parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
    auto prepare_parser = [&] {
      res_parser->header_limit(cfg_.max_header_bytes);
      res_parser->body_limit(boost::none);
      if (head_request) res_parser->skip(true);
    };
    prepare_parser();
    if (upstream_ok) {
      // Until the header arrives Ollama may be queueing, loading the model and
      // evaluating the prompt: minutes without a byte. A client that leaves
      // meanwhile is noticed here, and dropping the upstream connection makes
      // Ollama cancel the request instead of generating for nobody.
      using namespace net::experimental::awaitable_operators;
      up->stream.expires_after(cfg_.upstream_timeout);
      auto outcome = co_await (read_upstream_header(*up, *res_parser) || client_left(client.socket()));
      if (outcome.index() == 1) {
        x.status = std::string(kStatusClientClosed);
        end(x);
        break;
      }
      if (auto uec = std::get<0>(outcome)) {
        upstream_ec = uec;
        upstream_ok = false;
      }
    }
    // A pooled connection can be closed by Ollama just as a request is sent
    // on it. When nothing came back and the whole request is still at hand
    // (small bodies are: the sniff buffer holds them), replay it once on a
    // new connection, as HTTP clients do for unanswered requests.
    if (!upstream_ok && req_parser.is_done() && body_bytes == sniff.size() && !res_parser->got_some()) {
      up.reset();
      try {
        up = co_await pool_.acquire(/*fresh=*/true);
      } catch (const std::exception& e) {
        spdlog::warn("cannot reconnect to ollama: {}", e.what());
      }
      if (up) {
        bhttp::request<bhttp::string_body> again{req.base(), sniff};
        again.prepare_payload();
        up->stream.expires_after(cfg_.upstream_timeout);
        auto [wec, wn] = co_await bhttp::async_write(up->stream, again, use_tuple);
        res_parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
        prepare_parser();
        upstream_ec = wec;
        if (!wec) {
          auto [uec, un] = co_await bhttp::async_read_header(up->stream, up->buffer, *res_parser, use_tuple);
          upstream_ec = uec;
        }
        upstream_ok = !upstream_ec;
      }
    }
    if (!upstream_ok) {
      spdlog::warn("ollama upstream failed during {} {}: {}", std::string(req.method_string()), x.endpoint,
                   upstream_ec.message());
      x.status = std::string(kStatusUpstreamFailed);
      end(x);
      bhttp::response<bhttp::string_body> res{bhttp::status::bad_gateway, req.version()};
      res.set(bhttp::field::content_type, "application/json; charset=utf-8");
      res.body() = R"({"error":"ollama closed the connection"})";
      res.keep_alive(false);
      res.prepare_payload();
      client.expires_after(cfg_.client_write_timeout);
      co_await bhttp::async_write(client, res, use_tuple);
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
          up->stream.expires_after(cfg_.upstream_timeout);
          auto [rec, rn] = co_await bhttp::async_read_some(up->stream, up->buffer, *res_parser, use_tuple);
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
        client.expires_after(cfg_.client_write_timeout);
        auto [wec, wn] = co_await bhttp::async_write(client, sr, use_tuple);
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
      // Ollama broke off mid-body; the client's response cannot be completed.
      if (x.status.starts_with("2")) x.status = std::string(kStatusUpstreamFailed);
      end(x);
      break;
    }
    end(x);
    if (upstream_keep_alive && upstream_ok) pool_.release(std::move(up));
    if (!client_keep_alive) break;
  }

  beast::error_code ignored;
  client.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace stackd::exporter
