#include "exporter/proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/derived_metrics.hpp"
#include "exporter/nonblocking_io.hpp"
#include "exporter/replay_rule.hpp"
#include "exporter/request_scanner.hpp"
#include "exporter/stream_meter.hpp"
#include "exporter/usage_chunk_filter.hpp"

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

// What --openai-usage=inject adds before a request body's closing brace, and
// what takes its place when nothing is added (a Content-Length is fixed
// before the body is read).
constexpr std::string_view kIncludeUsage = R"(,"stream_options":{"include_usage":true})";
const std::string kIncludeUsagePadding(kIncludeUsage.size(), ' ');

bool is_would_block(const beast::error_code& ec) {
  return ec == net::error::would_block || ec == net::error::try_again;
}

// The reason an upstream failure is logged with: the error's message, never
// an exception's what() (Boost.System's carries a source location).
std::string failure_reason(const std::exception& e) {
  if (auto* se = dynamic_cast<const boost::system::system_error*>(&e)) return se->code().message();
  return e.what();
}

}  // namespace

// The bookkeeping of one request while it is relayed.
struct Proxy::Exchange {
  Clock::time_point start = Clock::now();  // its header arrived
  std::string endpoint;
  std::string model;        // bounded label value; "" until the body's "model" was read
  bool model_known = false;
  bool begun = false;       // counted in flight
  bool slot = false;        // counted in slot_users_
  std::string status;
  unsigned http_status = 0;
  Ending ending = Ending::Answered;
  bool streamed = false;
  bool injected = false;    // stream_options.include_usage was added
  std::optional<StreamMeter> meter;
  std::optional<Clock::time_point> last_token;  // of the last piece that carried tokens
  EndpointSeries* series = nullptr;  // set by begin()
};

Proxy::Proxy(net::any_io_executor ex, ProxyConfig cfg, const metrics::Registry& registry, OllamaMetrics& metrics,
             ModelLabels& labels, const LoadedModels& models)
    : cfg_(std::move(cfg)),
      registry_(registry),
      metrics_(metrics),
      labels_(labels),
      models_(models),
      failure_log_(cfg_.upstream_host + ":" + std::to_string(cfg_.upstream_port)),
      series_(metrics),
      queue_depth_(metrics.queue_depth.get()),
      pool_(ex, cfg_.upstream_host, cfg_.upstream_port),
      watchdog_(ex) {
  metrics.parallel_slots.get().set(cfg_.num_parallel);
}

void Proxy::begin(Exchange& x) {
  x.begun = true;
  x.series = &series_.get(x.endpoint, x.model);
  x.series->model().in_flight().inc();
  if (uses_model_slot(x.endpoint)) {
    x.slot = true;
    ++slot_users_[x.model];
    update_queue_depth();
  }
}

// The model became known after the request was counted in flight: it moves
// from the "" series to its model's.
void Proxy::set_model(Exchange& x, std::string label) {
  x.model_known = true;
  if (!x.begun) {
    x.model = std::move(label);
    return;
  }
  if (label == x.model) return;
  x.series->model().in_flight().dec();
  if (x.slot && --slot_users_[x.model] <= 0) slot_users_.erase(x.model);
  x.model = std::move(label);
  x.series = &series_.get(x.endpoint, x.model);
  x.series->model().in_flight().inc();
  if (x.slot) {
    ++slot_users_[x.model];
    update_queue_depth();
  }
}

void Proxy::end(Exchange& x) {
  if (!x.begun) begin(x);
  auto seconds = std::chrono::duration<double>(Clock::now() - x.start).count();
  auto& by_model = x.series->model();
  by_model.in_flight().dec();
  if (x.slot) {
    if (--slot_users_[x.model] <= 0) slot_users_.erase(x.model);
    update_queue_depth();
  }
  std::string_view status = x.status;
  bool body_error = false;
  if (x.meter) {
    x.meter->finish();
    const auto& s = x.meter->stats();
    body_error = s.error;
    if (s.error && status.starts_with("2")) status = kStatusStreamError;
    const auto d = derive(s, models_.context_length(x.model));
    if (d.prompt_tokens) {
      by_model.prompt_tokens().inc(static_cast<double>(*d.prompt_tokens));
      by_model.request_prompt_tokens().observe(static_cast<double>(*d.prompt_tokens));
    }
    if (d.generated_tokens) {
      by_model.generated_tokens().inc(static_cast<double>(*d.generated_tokens));
      by_model.request_generation_tokens().observe(static_cast<double>(*d.generated_tokens));
    }
    if (d.cached_prompt_tokens) by_model.cached_prompt_tokens().inc(static_cast<double>(*d.cached_prompt_tokens));
    if (d.generation_tokens_per_second) by_model.tokens_per_second().observe(*d.generation_tokens_per_second);
    if (d.time_per_output_token) by_model.time_per_output_token().observe(*d.time_per_output_token);
    if (d.prefill_tokens_per_second) by_model.prefill_tokens_per_second().observe(*d.prefill_tokens_per_second);
    if (d.load) by_model.load_duration().observe(*d.load);
    if (d.prefill) by_model.prefill_duration().observe(*d.prefill);
    if (d.decode) by_model.decode_duration().observe(*d.decode);
    if (d.queue_wait) by_model.queue_wait().observe(*d.queue_wait);
    if (d.context_fill) by_model.context_fill().observe(*d.context_fill);
    if (!s.done_reason.empty() && !s.error) by_model.finished(reasons_.label(s.done_reason)).inc();
  }
  if (auto kind = error_kind(x.ending, x.http_status, body_error, !x.model.empty())) x.series->errors(*kind).inc();
  x.series->requests(status).inc();
  x.series->duration().observe(seconds);
}

void Proxy::update_queue_depth() {
  // Ollama runs OLLAMA_NUM_PARALLEL requests per loaded model; the rest wait.
  // Its own queue bound (OLLAMA_MAX_QUEUE) does not cover requests for loaded
  // models, so the proxy's count is the only reliable measure.
  int waiting = 0;
  for (const auto& [model, n] : slot_users_) waiting += std::max(0, n - cfg_.num_parallel);
  queue_depth_.set(waiting);
}

void Proxy::upstream_failed(std::string_view reason) {
  if (auto line = failure_log_.failed(reason, Clock::now())) spdlog::warn("{}", *line);
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
    auto hec = co_await await_data(client, client_buf);
    if (!hec)
      hec = co_await drive(client, tcp::socket::wait_read,
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
    const bool has_body = !req_parser.is_done();
    if (!has_body) {
      x.model_known = true;  // no body, no model
      begin(x);
    }

    // "Expect: 100-continue" is answered here: relaying the interim response
    // through would need a second response parser for no benefit.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      req.erase(bhttp::field::expect);
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      watch.expect_client(write_timeout);
      auto [cec, cn] = co_await net::async_write(client, net::buffer(cont), use_tuple);
      if (cec) {
        if (x.begun) {
          x.ending = Ending::ClientLeft;
          x.status = std::string(kStatusClientClosed);
          end(x);
        }
        break;
      }
    }

    // ---- the request body, read piece by piece into buf
    const bool inject = cfg_.inject_openai_usage && has_body && req.method() == bhttp::verb::post &&
                        (x.endpoint == "/v1/chat/completions" || x.endpoint == "/v1/completions") &&
                        req[bhttp::field::content_encoding].empty();
    RequestScanner scanner(/*until_model=*/!inject);
    std::size_t piece = 0;        // bytes of the current piece in buf
    bool have_piece = false;
    std::size_t body_bytes = 0;
    // Reads the next piece; a request not yet counted in flight is counted
    // before waiting for the client.
    auto read_piece = [&]() -> net::awaitable<beast::error_code> {
      req.body().data = buf.data();
      req.body().size = buf.size();
      watch.expect_client(idle_timeout);
      beast::error_code ec;
      bhttp::read_some(client, client_buf, req_parser, ec);
      if (is_would_block(ec)) {
        if (!x.begun) begin(x);
        ec = co_await drive(client, tcp::socket::wait_read,
                            [&](beast::error_code& e) { bhttp::read_some(client, client_buf, req_parser, e); });
      }
      if (ec == bhttp::error::need_buffer) ec = {};
      piece = buf.size() - req.body().size;
      body_bytes += piece;
      have_piece = piece > 0;
      co_return ec;
    };
    // Feeds the scanner while it can still tell something; returns the
    // closing brace's offset in the piece.
    auto scan = [&]() -> std::optional<std::size_t> {
      if (scanner.ended() || (x.model_known && !inject)) return std::nullopt;
      auto brace = scanner.feed(std::string_view(buf.data(), piece));
      if (!x.model_known && (scanner.model() || scanner.ended() || req_parser.is_done()))
        set_model(x, labels_.label(scanner.model().value_or("")));
      return brace;
    };
    bool client_ok = true;
    std::optional<std::size_t> brace;
    if (has_body) {
      if (co_await read_piece()) client_ok = false;
      else brace = scan();
    }
    if (!x.begun) begin(x);
    if (!client_ok) {  // client went away (or stalled) while sending its body
      x.ending = Ending::ClientLeft;
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }

    // ---- connect upstream
    std::unique_ptr<UpstreamConnection> up;
    std::string connect_failure;
    watch.clear();
    try {
      up = co_await pool_.acquire();
    } catch (const std::exception& e) {
      connect_failure = failure_reason(e);
    }
    if (!up) {
      // Read on (bounded) until the model is known, so that the failure is
      // counted with it.
      while (!x.model_known && !req_parser.is_done() && body_bytes < cfg_.model_search_bytes) {
        if (co_await read_piece()) break;
        scan();
      }
      if (!x.model_known) set_model(x, labels_.label(scanner.model().value_or("")));
      upstream_failed("cannot connect: " + connect_failure);
      x.ending = Ending::Unreachable;
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
    const bool fixed_length = has_body && !req.chunked();
    if (inject && fixed_length) {
      std::uint64_t length = 0;
      auto cl = req[bhttp::field::content_length];
      std::from_chars(cl.data(), cl.data() + cl.size(), length);
      req.content_length(length + kIncludeUsage.size());
    }
    bool include_usage_written = !inject;  // the reserved bytes went out (or none were reserved)
    std::string joined;      // a piece with the member added
    std::string sent_copy;   // the body as sent, while short enough to be sent again
    std::size_t sent_bytes = 0;
    std::size_t written = 0;  // request bytes the kernel accepted for Ollama
    beast::error_code upstream_ec;
    bool upstream_ok = true;
    {
      bhttp::request_serializer<bhttp::buffer_body> sr{req};
      for (;;) {
        std::string_view out(buf.data(), have_piece ? piece : 0);
        const bool last = req_parser.is_done();
        if (!include_usage_written && (brace || (last && fixed_length))) {
          // At the closing brace, or at the end of a body that had none.
          const std::string_view member =
              brace && scanner.stream() && !scanner.has_stream_options() ? kIncludeUsage : kIncludeUsagePadding;
          const std::size_t at = brace ? *brace : out.size();
          joined.assign(out.substr(0, at));
          joined.append(member);
          joined.append(out.substr(at));
          out = joined;
          x.injected = member == kIncludeUsage;
          include_usage_written = true;
        }
        brace.reset();
        have_piece = false;
        if (sent_bytes == sent_copy.size() && sent_copy.size() + out.size() <= cfg_.replay_bytes) sent_copy.append(out);
        sent_bytes += out.size();
        if (!out.empty() || last) {
          req.body().data = const_cast<char*>(out.data());
          req.body().size = out.size();
          req.body().more = !last;
          watch.expect_upstream(up->socket, upstream_timeout);
          auto wec = co_await drive(up->socket, tcp::socket::wait_write,
                                    [&](beast::error_code& ec) { written += bhttp::write(up->socket, sr, ec); });
          if (wec == bhttp::error::need_buffer) wec = {};
          if (wec) {
            upstream_ec = watch.timed_out() ? beast::error::timeout : wec;
            upstream_ok = false;
            break;
          }
        }
        if (last) break;
        if (co_await read_piece()) {
          client_ok = false;
          break;
        }
        brace = scan();
      }
    }
    if (!client_ok) {  // client went away (or stalled) while sending its body
      x.ending = Ending::ClientLeft;
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
      auto ec = co_await await_data(c.socket, c.buffer);
      if (!ec)
        ec = co_await drive(c.socket, tcp::socket::wait_read,
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
      x.ending = Ending::ClientLeft;
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
                                 .request_at_hand = req_parser.is_done() && sent_bytes == sent_copy.size()})) {
      up.reset();
      watch.clear();
      try {
        up = co_await pool_.acquire(/*fresh=*/true);
      } catch (const std::exception& e) {
        connect_failure = failure_reason(e);
      }
      if (up) {
        bhttp::request<bhttp::string_body> again{req.base(), sent_copy};
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
        x.ending = Ending::ClientLeft;
        x.status = std::string(kStatusClientClosed);
        end(x);
        break;
      }
    }
    if (!upstream_ok) {
      const bool timeout = upstream_ec == beast::error::timeout;
      if (!up) upstream_failed("cannot connect: " + connect_failure);
      else if (timeout) upstream_failed("no answer within the upstream timeout");
      else if (is_connection_closed(upstream_ec)) upstream_failed("closed the connection without an answer");
      else upstream_failed(upstream_ec.message());
      x.ending = timeout ? Ending::TimedOut : Ending::Unreachable;
      x.status = std::string(timeout ? kStatusUpstreamTimeout : kStatusUpstreamFailed);
      end(x);
      auto res = timeout ? json_error(bhttp::status::gateway_timeout, req.version(), "ollama did not answer in time")
                         : json_error(bhttp::status::bad_gateway, req.version(), "ollama closed the connection");
      watch.expect_client(write_timeout);
      co_await write_simple(client, res);
      break;
    }
    if (failure_log_.failing())
      if (auto line = failure_log_.succeeded(Clock::now())) spdlog::info("{}", *line);
    auto& res = res_parser->get();
    bool upstream_keep_alive = res.keep_alive();
    x.http_status = res.result_int();
    x.status = std::to_string(x.http_status);
    auto format = body_format(res[bhttp::field::content_type]);
    x.streamed = format == BodyFormat::NdJson || format == BodyFormat::Sse;
    if (!head_request) x.meter.emplace(format);
    std::optional<UsageChunkFilter> usage_filter;
    if (x.injected && format == BodyFormat::Sse && res.chunked()) usage_filter.emplace();
    std::string filtered;
    strip_hop_by_hop(res);
    res.keep_alive(client_keep_alive);

    bool upstream_done = true;
    {
      bhttp::response_serializer<bhttp::buffer_body> sr{res};
      bool header_sent = false;
      do {
        std::string_view out;
        if (!res_parser->is_done()) {
          res.body().data = buf.data();
          res.body().size = buf.size();
          watch.expect_upstream(up->socket, upstream_timeout);
          beast::error_code rec;
          bhttp::read_some(up->socket, up->buffer, *res_parser, rec);
          if (is_would_block(rec)) {
            // Nothing of the body yet: the client gets the header now.
            if (!header_sent) {
              watch.expect_client(write_timeout);
              auto hec2 = co_await drive(client, tcp::socket::wait_write,
                                         [&](beast::error_code& ec) { bhttp::write_header(client, sr, ec); });
              if (hec2) {
                client_ok = false;
                break;
              }
              header_sent = true;
              watch.expect_upstream(up->socket, upstream_timeout);
            }
            rec = co_await drive(up->socket, tcp::socket::wait_read, [&](beast::error_code& ec) {
              bhttp::read_some(up->socket, up->buffer, *res_parser, ec);
            });
          }
          if (rec == bhttp::error::need_buffer) rec = {};
          if (rec) {
            upstream_done = false;
            upstream_ok = false;
            if (watch.timed_out()) x.ending = Ending::TimedOut;
            break;
          }
          std::size_t got = buf.size() - res.body().size;
          out = std::string_view(buf.data(), got);
          if (got > 0 && x.meter) {
            const auto fed = x.meter->feed(out);
            if (x.streamed && fed.token) {
              const auto now = Clock::now();
              if (fed.first_token)
                x.series->model().time_to_first_token().observe(std::chrono::duration<double>(now - x.start).count());
              if (x.last_token)
                x.series->model().inter_token_latency().observe(std::chrono::duration<double>(now - *x.last_token).count());
              x.last_token = now;
            }
          }
          if (usage_filter) {
            filtered.clear();
            usage_filter->feed(out, filtered);
            if (res_parser->is_done()) usage_filter->finish(filtered);
            out = filtered;
          }
          if (out.empty() && !res_parser->is_done()) continue;
        }
        res.body().data = const_cast<char*>(out.data());
        res.body().size = out.size();
        res.body().more = !res_parser->is_done();
        header_sent = true;
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
      x.ending = Ending::ClientLeft;
      x.status = std::string(kStatusClientClosed);
      end(x);
      break;
    }
    if (!upstream_done) {
      // Ollama broke off (or fell silent) mid-body; the client's response
      // cannot be completed.
      upstream_failed(x.ending == Ending::TimedOut ? "silent mid-answer for the upstream timeout"
                                                   : "broke off an answer");
      if (x.ending != Ending::TimedOut) x.ending = Ending::BrokeOff;
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
