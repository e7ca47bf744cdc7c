// A fake Ollama server for tests and benchmarks, written from Ollama's
// documented HTTP API (docs/api.md, docs/openai.md) and its source, cited per
// behaviour: /api/generate and /api/chat (NDJSON streaming by default,
// "stream": false), /api/embed, /api/embeddings, /api/ps, /api/tags,
// /api/version, /api/pull, /api/copy, /api/delete, /v1/chat/completions and
// /v1/completions (SSE, data: [DONE], usage with stream_options.include_usage),
// /v1/embeddings and /v1/models.
//
// Configured like Ollama: OLLAMA_HOST (host:port), OLLAMA_NUM_PARALLEL,
// OLLAMA_MAX_QUEUE, OLLAMA_KEEP_ALIVE. Fake-only knobs:
//   FAKE_OLLAMA_TOKEN_DELAY_MS   time to generate one token (default 10)
//   FAKE_OLLAMA_TOKENS           tokens of an answer (default 8); a prompt
//                                containing "[tokens:N]" gets an N-token answer
//   FAKE_OLLAMA_LOAD_MS          time to load a model (default 100)
//   FAKE_OLLAMA_PROMPT_TOKEN_US  time to evaluate one uncached prompt token (default 200)
//   FAKE_OLLAMA_CONTEXT          context length models load with (default 4096;
//                                options.num_ctx overrides, and a different one reloads)
//   FAKE_OLLAMA_CACHED_COUNT     1: final chunks carry prompt_eval_cached_count
//                                (and /v1 usage prompt_tokens_details.cached_tokens),
//                                as Ollama does since ollama/ollama#17943; older
//                                releases do not
//   FAKE_OLLAMA_MODELS           comma-separated installed models
//   FAKE_OLLAMA_JOURNAL          a file that gets one line per request read,
//                                "METHOD TARGET DROP-TOKEN", so a test can see
//                                how often a request reached Ollama
// A prompt or message containing "[fail-midstream]" makes the stream send an
// {"error": ...} line after two tokens (status stays 200, like Ollama).
// Request headers that simulate failures or other servers:
//   X-Fake-Ollama-Drop: TOKEN      the first request carrying TOKEN is read and
//                                  its connection closed without an answer (a
//                                  crash after receiving it); later ones with
//                                  the same TOKEN are answered
//   X-Fake-Ollama-Delay-Ms: N      nothing is sent for N ms before answering
//                                  (a slow pull)
//   X-Fake-Ollama-Early-Headers: 1 a stream's response header is sent at
//                                  once, before the first chunk (Ollama sends
//                                  it with the first chunk; other servers do not)
//
// What it reproduces of Ollama's behaviour (file names are Ollama's):
//   - Timing, measured on the clock and reported in ns: load_duration from the
//     request's arrival until its model is loaded (including the wait for
//     other loads), then the wait for a parallel slot, prompt evaluation at
//     FAKE_OLLAMA_PROMPT_TOKEN_US per uncached token (prompt_eval_duration),
//     one token every FAKE_OLLAMA_TOKEN_DELAY_MS (eval_duration),
//     total_duration over everything (server/routes.go: checkpointStart,
//     checkpointLoaded). See scheduler.hpp and slots.hpp.
//   - The prompt cache: prompt_eval_count counts every prompt token, cached
//     or not, while prompt_eval_duration covers only the uncached ones
//     (llm/llama_server.go: promptEvalCount() = cache_n + prompt_n, the
//     duration is prompt_ms). The cache holds the model's last prompt; at
//     least one token is always evaluated. A prompt is 10 template tokens and
//     then one token per word, cut to the context length (Ollama truncates).
//   - done_reason: "stop", or "length" when options.num_predict (max_tokens
//     on /v1) cut the answer (llm/llama_server.go: stop_type "limit";
//     llm/server.go: DoneReason.String). An empty prompt (no messages on
//     /api/chat) loads the model and answers done_reason "load"; with
//     keep_alive 0 it unloads it and answers "unload"; neither carries metrics
//     (server/routes.go GenerateHandler, ChatHandler).
//   - 503 "server busy, please try again.  maximum pending requests exceeded"
//     when the scheduler's queue is full (server/sched.go ErrMaxQueue).
//   - /api/ps: size, size_vram (every second model is half offloaded to
//     system RAM, as on small GPUs), context_length, expires_at (RFC 3339 with
//     nanoseconds, like Go's time.Time).
//   - /v1 streams as middleware/openai.go writes them: a finish chunk with an
//     empty delta, then with include_usage a chunk with "choices":[] and the
//     usage, then data: [DONE]; on /v1/completions with include_usage every
//     chunk also carries a zero usage (CompleteWriter).
//
// The product never depends on this program.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fakes/ollama/scheduler.hpp"
#include "tests/fakes/ollama/slots.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::ordered_json;  // keeps Ollama's field order (model first, metrics last)
using Clock = std::chrono::steady_clock;
using stackd::fakes::KeepAlive;
using stackd::fakes::Runner;
using stackd::fakes::Scheduler;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

namespace {

constexpr int kTemplateTokens = 10;

// A Go duration ("5m", "1h30m", "250ms", "-1") or integer seconds, as
// envconfig.KeepAlive reads OLLAMA_KEEP_ALIVE; nullopt when invalid.
// Negative means forever (returned as KeepAlive{} = nullopt in a pair).
std::optional<KeepAlive> parse_go_duration(std::string s, bool bare_number_is_seconds) {
  if (s.empty()) return std::nullopt;
  bool negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') s.erase(0, 1);
  double total_ms = 0;
  std::size_t i = 0;
  if (bare_number_is_seconds && s.find_first_not_of("0123456789") == std::string::npos) {
    total_ms = std::atof(s.c_str()) * 1000;
  } else {
    while (i < s.size()) {
      std::size_t start = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      if (start == i) return std::nullopt;
      double v = std::atof(s.substr(start, i - start).c_str());
      std::size_t u = i;
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      std::string unit = s.substr(u, i - u);
      if (unit == "ns") v /= 1e6;
      else if (unit == "us" || unit == "µs") v /= 1e3;
      else if (unit == "ms") v *= 1;
      else if (unit == "s") v *= 1e3;
      else if (unit == "m") v *= 60e3;
      else if (unit == "h") v *= 3600e3;
      else if (unit.empty() && v == 0 && i == s.size()) v = 0;  // "0"
      else return std::nullopt;
      total_ms += v;
    }
  }
  if (negative && total_ms > 0) return KeepAlive{};  // forever
  return KeepAlive{std::chrono::milliseconds(static_cast<long long>(total_ms))};
}

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 11434;
  int parallel = 1;
  int max_queue = 512;
  std::chrono::milliseconds token_delay{10};
  int tokens = 8;
  std::chrono::milliseconds load_time{100};
  std::chrono::microseconds prompt_token_time{200};
  int context = 4096;
  bool cached_count = false;
  KeepAlive keep_alive = std::chrono::minutes(5);
  std::vector<std::string> models{"llama3.2:1b", "qwen2.5:0.5b"};
  std::string journal;
};

int env_int(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

Config load_config() {
  Config c;
  if (const char* h = std::getenv("OLLAMA_HOST"); h && *h) {
    std::string s(h);
    if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
    if (auto p = s.rfind(':'); p != std::string::npos) {
      c.host = s.substr(0, p);
      c.port = static_cast<unsigned short>(std::atoi(s.c_str() + p + 1));
    } else {
      c.host = s;
    }
  }
  c.parallel = std::max(1, env_int("OLLAMA_NUM_PARALLEL", 1));
  c.max_queue = std::max(0, env_int("OLLAMA_MAX_QUEUE", 512));
  if (const char* k = std::getenv("OLLAMA_KEEP_ALIVE"); k && *k)
    if (auto d = parse_go_duration(k, true)) c.keep_alive = *d;
  c.token_delay = std::chrono::milliseconds(std::max(0, env_int("FAKE_OLLAMA_TOKEN_DELAY_MS", 10)));
  c.tokens = std::max(1, env_int("FAKE_OLLAMA_TOKENS", 8));
  c.load_time = std::chrono::milliseconds(std::max(0, env_int("FAKE_OLLAMA_LOAD_MS", 100)));
  c.prompt_token_time = std::chrono::microseconds(std::max(0, env_int("FAKE_OLLAMA_PROMPT_TOKEN_US", 200)));
  c.context = std::max(16, env_int("FAKE_OLLAMA_CONTEXT", 4096));
  c.cached_count = env_int("FAKE_OLLAMA_CACHED_COUNT", 0) == 1;
  if (const char* j = std::getenv("FAKE_OLLAMA_JOURNAL"); j && *j) c.journal = j;
  if (const char* m = std::getenv("FAKE_OLLAMA_MODELS"); m && *m) {
    c.models.clear();
    std::string s(m);
    for (std::size_t start = 0; start <= s.size();) {
      auto end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) c.models.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  return c;
}

// Go's time.Time in JSON: RFC 3339 with nanoseconds, here in UTC.
std::string rfc3339(double unix_seconds) {
  auto t = static_cast<std::time_t>(std::floor(unix_seconds));
  auto ns = static_cast<long long>((unix_seconds - std::floor(unix_seconds)) * 1e9);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09lldZ", buf, ns);
  return out;
}

std::string rfc3339_now() { return rfc3339(Scheduler::now_unix()); }

std::uint64_t model_size(std::size_t index) { return 1'300'000'000ull + index * 700'000'000ull; }

struct Fake {
  Config cfg;
  Scheduler scheduler;
  stackd::fakes::Slots slots;
  std::uint64_t next_id = 1;
  std::set<std::string> dropped;  // X-Fake-Ollama-Drop tokens already used
  std::ofstream journal;

  explicit Fake(Config c) : cfg(std::move(c)), scheduler(cfg.max_queue, cfg.load_time), slots(cfg.parallel) {
    if (!cfg.journal.empty()) journal.open(cfg.journal, std::ios::app);
  }

  int model_index(const std::string& name) const {
    for (std::size_t i = 0; i < cfg.models.size(); ++i)
      if (cfg.models[i] == name || cfg.models[i] == name + ":latest") return static_cast<int>(i);
    return -1;
  }
};

using Request = http::request<http::string_body>;

http::response<http::string_body> json_response(const Request& req, http::status st, const json& body) {
  http::response<http::string_body> res{st, req.version()};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.keep_alive(req.keep_alive());
  res.body() = body.dump();
  res.prepare_payload();
  return res;
}

// The prompt text, for token counting and the markers.
std::string prompt_of(const json& body) {
  std::string text;
  if (body.contains("prompt") && body["prompt"].is_string()) text = body["prompt"].get<std::string>();
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto& m : body["messages"])
      if (m.contains("content") && m["content"].is_string()) text += m["content"].get<std::string>() + " ";
  if (body.contains("input")) text += body["input"].dump();
  return text;
}

// The prompt's tokens: the template's, then one per word.
std::vector<std::uint64_t> tokenize(const std::string& s) {
  std::vector<std::uint64_t> tokens;
  for (int i = 0; i < kTemplateTokens; ++i) tokens.push_back(static_cast<std::uint64_t>(i + 1));
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && !(s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) ++i;
    if (i > start) tokens.push_back(std::hash<std::string_view>{}(std::string_view(s).substr(start, i - start)));
  }
  return tokens;
}

int marker_value(const std::string& prompt, const std::string& marker) {
  auto at = prompt.find("[" + marker + ":");
  if (at == std::string::npos) return -1;
  return std::atoi(prompt.c_str() + at + marker.size() + 2);
}

struct Generation {
  enum class Kind { Generate, Chat, OpenAIChat, OpenAICompletion } kind;
  std::string model;  // as installed
  std::string requested;
  bool stream = true;
  bool include_usage = false;
  bool fail_midstream = false;
  bool early_headers = false;
  int tokens = 8;
  std::string done_reason = "stop";
  std::vector<std::uint64_t> prompt;
  int context = 4096;
  KeepAlive keep_alive;
  bool openai() const { return kind == Kind::OpenAIChat || kind == Kind::OpenAICompletion; }
};

std::string token_text(int i) {
  static const char* words[] = {"The", " sky", " is", " blue", " because", " of", " Rayleigh", " scattering", "."};
  return words[i % 9];
}

// What a finished generation reports.
struct Timings {
  std::chrono::nanoseconds total{}, load{}, prompt{}, eval{};
  int prompt_tokens = 0, cached = 0, eval_count = 0;
};

class Session {
 public:
  Session(Fake& fake, beast::tcp_stream& stream) : fake_(fake), stream_(stream) {}

  net::awaitable<bool> handle(Request& req) {
    auto target = std::string(req.target());
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/" && (req.method() == http::verb::get || req.method() == http::verb::head))
      co_return co_await send_text(req, "Ollama is running");
    if (target == "/api/version") {
      pending_ = json_response(req, http::status::ok, {{"version", "0.12.6"}});
      co_return co_await flush();
    }
    if (target == "/api/tags") {
      pending_ = json_response(req, http::status::ok, tags());
      co_return co_await flush();
    }
    if (target == "/api/ps") {
      pending_ = json_response(req, http::status::ok, ps());
      co_return co_await flush();
    }
    if (target == "/v1/models") {
      pending_ = json_response(req, http::status::ok, openai_models());
      co_return co_await flush();
    }
    if (target == "/api/delete" && req.method() == http::verb::delete_) co_return co_await remove(req);
    if (req.method() != http::verb::post) {
      pending_ = json_response(req, http::status::not_found, {{"error", "404 page not found"}});
      co_return co_await flush();
    }

    json body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      pending_ = json_response(req, http::status::bad_request, {{"error", "invalid JSON body"}});
      co_return co_await flush();
    }
    if (target == "/api/pull") co_return co_await pull(req, body);
    if (target == "/api/copy") co_return co_await copy(req, body);
    std::string model = body.value("model", "");
    if (model.empty()) {
      pending_ = json_response(req, http::status::bad_request, {{"error", "model is required"}});
      co_return co_await flush();
    }
    int index = fake_.model_index(model);
    if (index < 0) {
      json err = {{"error", "model '" + model + "' not found"}};
      if (target.starts_with("/v1/")) err = {{"error", {{"message", err["error"]}, {"type", "api_error"}}}};
      pending_ = json_response(req, http::status::not_found, err);
      co_return co_await flush();
    }

    Generation g;
    g.requested = model;
    g.model = fake_.cfg.models[static_cast<std::size_t>(index)];
    std::string prompt = prompt_of(body);
    g.prompt = tokenize(prompt);
    g.fail_midstream = prompt.find("[fail-midstream]") != std::string::npos;
    g.early_headers = req["X-Fake-Ollama-Early-Headers"] == "1";
    g.context = fake_.cfg.context;
    g.keep_alive = fake_.cfg.keep_alive;
    if (body.contains("keep_alive")) {
      const auto& k = body["keep_alive"];
      if (k.is_number()) {
        double s = k.get<double>();
        g.keep_alive = s < 0 ? KeepAlive{} : KeepAlive{std::chrono::milliseconds(static_cast<long long>(s * 1000))};
      } else if (k.is_string()) {
        if (auto d = parse_go_duration(k.get<std::string>(), false)) g.keep_alive = *d;
      }
    }
    int limit = -1;  // num_predict: -1 = no limit
    if (body.contains("options") && body["options"].is_object()) {
      const auto& o = body["options"];
      if (o.contains("num_predict") && o["num_predict"].is_number_integer()) limit = o["num_predict"].get<int>();
      if (o.contains("num_ctx") && o["num_ctx"].is_number_integer()) g.context = std::max(16, o["num_ctx"].get<int>());
    }
    if (body.contains("max_tokens") && body["max_tokens"].is_number_integer()) limit = body["max_tokens"].get<int>();
    if (static_cast<int>(g.prompt.size()) > g.context) g.prompt.resize(static_cast<std::size_t>(g.context));
    int natural = marker_value(prompt, "tokens");
    g.tokens = natural > 0 ? natural : fake_.cfg.tokens;
    if (limit > 0 && limit < g.tokens) {
      g.tokens = limit;
      g.done_reason = "length";
    }

    if (target == "/api/embed" || target == "/api/embeddings" || target == "/v1/embeddings")
      co_return co_await embed(req, target, g);
    if (target == "/api/generate")
      g.kind = Generation::Kind::Generate;
    else if (target == "/api/chat")
      g.kind = Generation::Kind::Chat;
    else if (target == "/v1/chat/completions")
      g.kind = Generation::Kind::OpenAIChat;
    else if (target == "/v1/completions")
      g.kind = Generation::Kind::OpenAICompletion;
    else {
      pending_ = json_response(req, http::status::not_found, {{"error", "404 page not found"}});
      co_return co_await flush();
    }
    if (g.openai()) {
      g.stream = body.value("stream", false);  // OpenAI default: not streamed
      if (body.contains("stream_options") && body["stream_options"].is_object())
        g.include_usage = body["stream_options"].value("include_usage", false);
    } else {
      g.stream = body.value("stream", true);  // Ollama default: streamed
      // An empty prompt (no messages) loads or, with keep_alive 0, unloads.
      bool empty = g.kind == Generation::Kind::Generate
                       ? !(body.contains("prompt") && body["prompt"].is_string() && !body["prompt"].get<std::string>().empty())
                       : !(body.contains("messages") && body["messages"].is_array() && !body["messages"].empty());
      if (empty) co_return co_await load_or_unload(req, g);
    }
    co_return co_await generate(req, g);
  }

 private:
  static std::string model_field(const json& body) {
    std::string m = body.value("model", "");
    if (m.empty()) m = body.value("name", "");  // the older spelling Ollama still accepts
    if (!m.empty() && m.find(':') == std::string::npos) m += ":latest";
    return m;
  }

  // POST /api/pull: progress lines as NDJSON (or one {"status":"success"}
  // with "stream": false); the model is installed afterwards.
  net::awaitable<bool> pull(const Request& req, const json& body) {
    std::string model = model_field(body);
    if (model.empty()) {
      pending_ = json_response(req, http::status::bad_request, {{"error", "model is required"}});
      co_return co_await flush();
    }
    auto install = [&] {
      if (fake_.model_index(model) < 0) fake_.cfg.models.push_back(model);
    };
    if (!body.value("stream", true)) {
      install();
      pending_ = json_response(req, http::status::ok, {{"status", "success"}});
      co_return co_await flush();
    }
    const std::string digest = "sha256:" + std::string(64, 'c');
    const std::uint64_t total = 1'300'000'000ull;
    std::vector<json> lines{{{"status", "pulling manifest"}},
                            {{"status", "pulling " + digest.substr(7, 12)}, {"digest", digest}, {"total", total}, {"completed", total / 2}},
                            {{"status", "pulling " + digest.substr(7, 12)}, {"digest", digest}, {"total", total}, {"completed", total}},
                            {{"status", "verifying sha256 digest"}},
                            {{"status", "writing manifest"}},
                            {{"status", "success"}}};
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i + 1 == lines.size()) install();
      if (!co_await write_chunk(req, "application/x-ndjson", lines[i].dump() + "\n")) co_return false;
    }
    co_return co_await finish(req.keep_alive());
  }

  // POST /api/copy {"source", "destination"}: 200 with an empty body, 404 when
  // the source does not exist.
  net::awaitable<bool> copy(const Request& req, const json& body) {
    std::string source = body.value("source", ""), destination = body.value("destination", "");
    if (source.empty() || destination.empty()) {
      pending_ = json_response(req, http::status::bad_request, {{"error", "source and destination are required"}});
      co_return co_await flush();
    }
    if (fake_.model_index(source) < 0) {
      pending_ = json_response(req, http::status::not_found, {{"error", "model '" + source + "' not found"}});
      co_return co_await flush();
    }
    if (destination.find(':') == std::string::npos) destination += ":latest";
    if (fake_.model_index(destination) < 0) fake_.cfg.models.push_back(destination);
    co_return co_await send_empty(req);
  }

  // DELETE /api/delete {"model"}: 200 with an empty body, 404 when absent.
  net::awaitable<bool> remove(const Request& req) {
    json body = json::parse(req.body(), nullptr, false);
    std::string model = body.is_object() ? model_field(body) : "";
    int index = model.empty() ? -1 : fake_.model_index(model);
    if (index < 0) {
      pending_ = json_response(req, http::status::not_found, {{"error", "model '" + model + "' not found"}});
      co_return co_await flush();
    }
    fake_.scheduler.unload(fake_.cfg.models[static_cast<std::size_t>(index)]);
    fake_.cfg.models.erase(fake_.cfg.models.begin() + index);
    co_return co_await send_empty(req);
  }

  net::awaitable<bool> send_empty(const Request& req) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    pending_ = std::move(res);
    co_return co_await flush();
  }

  json tags() const {
    json models = json::array();
    for (std::size_t i = 0; i < fake_.cfg.models.size(); ++i) {
      const auto& name = fake_.cfg.models[i];
      models.push_back({{"name", name},
                        {"model", name},
                        {"modified_at", "2026-01-01T00:00:00Z"},
                        {"size", model_size(i)},
                        {"digest", "sha256:" + std::string(64, static_cast<char>('a' + i % 6))},
                        {"details",
                         {{"parent_model", ""},
                          {"format", "gguf"},
                          {"family", "llama"},
                          {"families", {"llama"}},
                          {"parameter_size", "1.2B"},
                          {"quantization_level", "Q8_0"}}}});
    }
    return {{"models", models}};
  }

  // server/routes.go PsHandler: longest time left first.
  json ps() {
    const auto& loaded = fake_.scheduler.loaded();
    std::vector<std::pair<std::string, std::shared_ptr<Runner>>> runners(loaded.begin(), loaded.end());
    std::stable_sort(runners.begin(), runners.end(),
                     [](const auto& a, const auto& b) { return a.second->expires_at > b.second->expires_at; });
    json models = json::array();
    for (const auto& [name, runner] : runners) {
      int index = fake_.model_index(name);
      if (index < 0) continue;
      auto i = static_cast<std::size_t>(index);
      auto size = model_size(i);
      auto vram = i % 2 == 0 ? size : size / 2;
      models.push_back(
          {{"name", name},
           {"model", name},
           {"size", size},
           {"digest", "sha256:" + std::string(64, static_cast<char>('a' + i % 6))},
           {"details",
            {{"parent_model", ""},
             {"format", "gguf"},
             {"family", "llama"},
             {"families", {"llama"}},
             {"parameter_size", "1.2B"},
             {"quantization_level", "Q8_0"}}},
           {"expires_at", rfc3339(runner->expires_at)},
           {"size_vram", vram},
           {"context_length", runner->context_length}});
    }
    return {{"models", models}};
  }

  json openai_models() const {
    json data = json::array();
    for (const auto& m : fake_.cfg.models)
      data.push_back({{"id", m}, {"object", "model"}, {"created", 1767225600}, {"owned_by", "library"}});
    return {{"object", "list"}, {"data", data}};
  }

  net::awaitable<bool> send_text(const Request& req, std::string text) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(text);
    res.prepare_payload();
    pending_ = std::move(res);
    co_return co_await flush();
  }

  // Responses are built into pending_ before the co_await (GCC 12 pitfall:
  // no braced temporaries inside a co_await expression).
  net::awaitable<bool> flush() {
    bool keep = pending_.keep_alive();
    auto [ec, n] = co_await http::async_write(stream_, pending_, use_tuple);
    co_return !ec && keep;
  }

  net::awaitable<void> sleep(std::chrono::nanoseconds d) {
    if (d.count() <= 0) co_return;
    net::steady_timer t(stream_.get_executor(), d);
    co_await t.async_wait(use_tuple);
  }

  static std::chrono::nanoseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t);
  }

  net::awaitable<bool> busy(const Request& req) {
    pending_ = json_response(req, http::status::service_unavailable,
                             {{"error", "server busy, please try again.  maximum pending requests exceeded"}});
    co_return co_await flush();
  }

  // server/routes.go: an empty prompt loads the model (done_reason "load"),
  // with keep_alive 0 it unloads it ("unload"); no metrics either way.
  net::awaitable<bool> load_or_unload(const Request& req, const Generation& g) {
    std::string reason = "unload";
    if (g.keep_alive && g.keep_alive->count() == 0) {
      fake_.scheduler.unload(g.model);
    } else {
      auto runner = co_await fake_.scheduler.get_runner(g.model, g.context, g.keep_alive);
      if (!runner) co_return co_await busy(req);
      Scheduler::begin(*runner, g.keep_alive);
      Scheduler::end(*runner);
      reason = "load";
    }
    json j = {{"model", g.requested}, {"created_at", rfc3339_now()}};
    if (g.kind == Generation::Kind::Generate) j["response"] = "";
    else j["message"] = {{"role", "assistant"}, {"content", ""}};
    j["done"] = true;
    j["done_reason"] = reason;
    pending_ = json_response(req, http::status::ok, j);
    co_return co_await flush();
  }

  // Scheduling, the model's load and the wait for a slot; the prompt cache.
  struct Started {
    std::shared_ptr<Runner> runner;
    std::unique_ptr<stackd::fakes::Slots::Lease> lease;
    Timings t;
    ~Started() {
      if (runner) Scheduler::end(*runner);
    }
  };
  net::awaitable<bool> start(const Generation& g, Clock::time_point arrival, Started& s) {
    s.runner = co_await fake_.scheduler.get_runner(g.model, g.context, g.keep_alive);
    if (!s.runner) co_return false;
    Scheduler::begin(*s.runner, g.keep_alive);
    s.t.load = since(arrival);
    s.lease = co_await fake_.slots.acquire(g.model);
    auto& cache = s.runner->cache;
    std::size_t common = 0;
    while (common < cache.size() && common < g.prompt.size() && cache[common] == g.prompt[common]) ++common;
    s.t.prompt_tokens = static_cast<int>(g.prompt.size());
    s.t.cached = static_cast<int>(std::min(common, g.prompt.size() - 1));
    cache = g.prompt;
    auto prefill_start = Clock::now();
    co_await sleep(fake_.cfg.prompt_token_time * (s.t.prompt_tokens - s.t.cached));
    s.t.prompt = since(prefill_start);
    co_return true;
  }

  net::awaitable<bool> embed(const Request& req, const std::string& target, const Generation& g) {
    auto arrival = Clock::now();
    Started s;
    if (!co_await start(g, arrival, s)) co_return co_await busy(req);
    json vec = json::array();
    for (int i = 0; i < 8; ++i) vec.push_back(0.01 * (i + 1));
    if (target == "/v1/embeddings") {
      pending_ = json_response(req, http::status::ok,
                               {{"object", "list"},
                                {"data", json::array({{{"object", "embedding"}, {"embedding", vec}, {"index", 0}}})},
                                {"model", g.requested},
                                {"usage", {{"prompt_tokens", s.t.prompt_tokens}, {"total_tokens", s.t.prompt_tokens}}}});
      co_return co_await flush();
    }
    if (target == "/api/embeddings") {
      pending_ = json_response(req, http::status::ok, {{"embedding", vec}});
      co_return co_await flush();
    }
    pending_ = json_response(req, http::status::ok,
                             {{"model", g.requested},
                              {"embeddings", json::array({vec})},
                              {"total_duration", since(arrival).count()},
                              {"load_duration", s.t.load.count()},
                              {"prompt_eval_count", s.t.prompt_tokens}});
    co_return co_await flush();
  }

  json chunk(const Generation& g, const std::string& text, bool first) {
    if (g.kind == Generation::Kind::Generate)
      return {{"model", g.requested}, {"created_at", rfc3339_now()}, {"response", text}, {"done", false}};
    if (g.kind == Generation::Kind::Chat)
      return {{"model", g.requested},
              {"created_at", rfc3339_now()},
              {"message", {{"role", "assistant"}, {"content", text}}},
              {"done", false}};
    if (g.kind == Generation::Kind::OpenAICompletion) {
      json c = {{"id", id_},
                {"object", "text_completion"},
                {"created", std::time(nullptr)},
                {"choices", json::array({{{"text", text}, {"index", 0}, {"finish_reason", nullptr}}})},
                {"model", g.requested},
                {"system_fingerprint", "fp_ollama"}};
      if (g.include_usage) c["usage"] = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
      return c;
    }
    json delta = first ? json{{"role", "assistant"}, {"content", text}} : json{{"content", text}};
    return {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", std::time(nullptr)},
            {"model", g.requested},
            {"system_fingerprint", "fp_ollama"},
            {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}})}};
  }

  // Ollama's final chunk: done, done_reason and the metrics, durations in ns
  // (api.Metrics: zero fields are omitted).
  json final_chunk(const Generation& g, const std::string& full_text, const Timings& t) {
    json j = {{"model", g.requested}, {"created_at", rfc3339_now()}};
    if (g.kind == Generation::Kind::Generate)
      j["response"] = full_text;
    else
      j["message"] = {{"role", "assistant"}, {"content", full_text}};
    j["done"] = true;
    j["done_reason"] = g.done_reason;
    if (g.kind == Generation::Kind::Generate) j["context"] = {128006, 882, 128007, 271};
    j["total_duration"] = t.total.count();
    j["load_duration"] = t.load.count();
    j["prompt_eval_count"] = t.prompt_tokens;
    if (fake_.cfg.cached_count) j["prompt_eval_cached_count"] = t.cached;
    if (t.prompt.count() > 0) j["prompt_eval_duration"] = t.prompt.count();
    j["eval_count"] = t.eval_count;
    j["eval_duration"] = t.eval.count();
    return j;
  }

  json usage(const Timings& t) const {
    json u = {{"prompt_tokens", t.prompt_tokens},
              {"completion_tokens", t.eval_count},
              {"total_tokens", t.prompt_tokens + t.eval_count}};
    if (fake_.cfg.cached_count) u["prompt_tokens_details"] = {{"cached_tokens", t.cached}};
    return u;
  }

  net::awaitable<bool> generate(const Request& req, const Generation& g) {
    auto arrival = Clock::now();
    Started s;
    if (!co_await start(g, arrival, s)) co_return co_await busy(req);
    id_ = (g.kind == Generation::Kind::OpenAICompletion ? "cmpl-" : "chatcmpl-") + std::to_string(fake_.next_id++);
    auto& t = s.t;

    if (!g.stream) {
      auto eval_start = Clock::now();
      co_await sleep(fake_.cfg.token_delay * g.tokens);
      t.eval = since(eval_start);
      t.eval_count = g.tokens;
      t.total = since(arrival);
      std::string text;
      for (int i = 0; i < g.tokens; ++i) text += token_text(i);
      if (g.fail_midstream) {
        pending_ = json_response(req, http::status::internal_server_error, {{"error", "fake failure"}});
        co_return co_await flush();
      }
      if (g.kind == Generation::Kind::OpenAIChat) {
        pending_ = json_response(req, http::status::ok,
                                 {{"id", id_},
                                  {"object", "chat.completion"},
                                  {"created", std::time(nullptr)},
                                  {"model", g.requested},
                                  {"system_fingerprint", "fp_ollama"},
                                  {"choices", json::array({{{"index", 0},
                                                            {"message", {{"role", "assistant"}, {"content", text}}},
                                                            {"finish_reason", g.done_reason}}})},
                                  {"usage", usage(t)}});
        co_return co_await flush();
      }
      if (g.kind == Generation::Kind::OpenAICompletion) {
        pending_ = json_response(req, http::status::ok,
                                 {{"id", id_},
                                  {"object", "text_completion"},
                                  {"created", std::time(nullptr)},
                                  {"model", g.requested},
                                  {"system_fingerprint", "fp_ollama"},
                                  {"choices", json::array({{{"text", text}, {"index", 0}, {"finish_reason", g.done_reason}}})},
                                  {"usage", usage(t)}});
        co_return co_await flush();
      }
      pending_ = json_response(req, http::status::ok, final_chunk(g, text, t));
      co_return co_await flush();
    }

    const std::string content_type = g.openai() ? "text/event-stream" : "application/x-ndjson";
    if (g.early_headers && !co_await write_header(req, content_type)) co_return false;
    auto frame = [&](const json& j) { return g.openai() ? "data: " + j.dump() + "\n\n" : j.dump() + "\n"; };
    auto eval_start = Clock::now();
    for (int i = 0; i < g.tokens; ++i) {
      co_await sleep(fake_.cfg.token_delay);
      if (g.fail_midstream && i == 2) {
        json err = g.openai() ? json{{"error", {{"message", "fake failure mid-stream"}, {"type", "api_error"}}}}
                              : json{{"error", "fake failure mid-stream"}};
        if (!co_await write_chunk(req, content_type, frame(err))) co_return false;
        // Ollama's handler returns after the error line and Go's server keeps
        // the connection for the next request; closing it here would race the
        // client's reuse of it.
        co_return co_await finish(true);
      }
      if (!co_await write_chunk(req, content_type, frame(chunk(g, token_text(i), i == 0)))) co_return false;
    }
    t.eval = since(eval_start);
    t.eval_count = g.tokens;
    t.total = since(arrival);
    if (g.kind == Generation::Kind::OpenAIChat) {
      json fin = chunk(g, "", false);
      fin["choices"][0]["delta"] = json::object();
      fin["choices"][0]["finish_reason"] = g.done_reason;
      if (!co_await write_chunk(req, content_type, frame(fin))) co_return false;
      if (g.include_usage) {
        fin["choices"] = json::array();
        fin["usage"] = usage(t);
        if (!co_await write_chunk(req, content_type, frame(fin))) co_return false;
      }
      if (!co_await write_chunk(req, content_type, "data: [DONE]\n\n")) co_return false;
    } else if (g.kind == Generation::Kind::OpenAICompletion) {
      json fin = chunk(g, "", false);
      fin["choices"][0]["finish_reason"] = g.done_reason;
      if (!co_await write_chunk(req, content_type, frame(fin))) co_return false;
      if (g.include_usage) {
        fin["choices"] = json::array();
        fin["usage"] = usage(t);
        if (!co_await write_chunk(req, content_type, frame(fin))) co_return false;
      }
      if (!co_await write_chunk(req, content_type, "data: [DONE]\n\n")) co_return false;
    } else {
      if (!co_await write_chunk(req, content_type, frame(final_chunk(g, "", t)))) co_return false;
    }
    co_return co_await finish(req.keep_alive());
  }

  // A streamed response's header: with the first chunk, as gin's c.Stream
  // writes it (server/routes.go streamResponse), unless sent early.
  std::string header_text(const Request& req, const std::string& content_type) {
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, content_type);
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    std::ostringstream os;
    os << res.base();
    header_sent_ = true;
    return os.str();
  }

  net::awaitable<bool> write_header(const Request& req, const std::string& content_type) {
    auto text = header_text(req, content_type);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(text), use_tuple);
    co_return !ec;
  }

  net::awaitable<bool> write_chunk(const Request& req, const std::string& content_type, std::string data) {
    std::string out = header_sent_ ? std::string() : header_text(req, content_type);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out += size;
    out += data;
    out += "\r\n";
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(out), use_tuple);
    co_return !ec;
  }

  net::awaitable<bool> finish(bool keep_alive) {
    header_sent_ = false;
    static constexpr std::string_view last = "0\r\n\r\n";
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(last), use_tuple);
    co_return !ec && keep_alive;
  }

  Fake& fake_;
  beast::tcp_stream& stream_;
  std::string id_;
  bool header_sent_ = false;
  http::response<http::string_body> pending_;
};

net::awaitable<void> serve(Fake& fake, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  stream.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  Session session(fake, stream);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    auto req = parser.release();
    std::string drop(req["X-Fake-Ollama-Drop"]);
    if (fake.journal.is_open())
      fake.journal << req.method_string() << ' ' << req.target() << ' ' << (drop.empty() ? "-" : drop) << std::endl;
    if (!drop.empty() && fake.dropped.insert(drop).second) break;  // read, never answered
    if (int delay = std::atoi(std::string(req["X-Fake-Ollama-Delay-Ms"]).c_str()); delay > 0) {
      net::steady_timer t(stream.get_executor());
      t.expires_after(std::chrono::milliseconds(delay));
      co_await t.async_wait(use_tuple);
    }
    if (!co_await session.handle(req)) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept(Fake& fake, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      continue;
    }
    net::co_spawn(acceptor.get_executor(), serve(fake, std::move(socket)), net::detached);
  }
}

}  // namespace

int main() {
  Fake fake(load_config());
  net::io_context ioc(1);
  tcp::acceptor acceptor(ioc);
  tcp::endpoint ep(net::ip::make_address(fake.cfg.host == "localhost" ? "127.0.0.1" : fake.cfg.host), fake.cfg.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(4096);
  std::cout << "fake ollama listening on " << acceptor.local_endpoint() << " (parallel " << fake.cfg.parallel
            << ", max queue " << fake.cfg.max_queue << ")" << std::endl;
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) {
    acceptor.close();
    ioc.stop();
  });
  net::co_spawn(ioc, accept(fake, acceptor), net::detached);
  ioc.run();
  return 0;
}
