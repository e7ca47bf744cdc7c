// A fake Ollama server for tests and benchmarks, written from Ollama's
// documented HTTP API (docs/api.md, docs/openai.md): /api/generate and
// /api/chat (NDJSON streaming by default, "stream": false), /api/embed,
// /api/ps, /api/tags, /api/version, /v1/chat/completions (SSE, data: [DONE],
// usage with stream_options.include_usage) and /v1/models.
//
// Configured like Ollama: OLLAMA_HOST (host:port), OLLAMA_NUM_PARALLEL,
// OLLAMA_MAX_QUEUE. Fake-only knobs:
//   FAKE_OLLAMA_TOKEN_DELAY_MS  delay between streamed tokens (default 10)
//   FAKE_OLLAMA_TOKENS          tokens per answer (default 8; options.num_predict overrides)
//   FAKE_OLLAMA_MODELS          comma-separated installed models
//   FAKE_OLLAMA_JOURNAL         a file that gets one line per request read,
//                               "METHOD TARGET DROP-TOKEN", so a test can see
//                               how often a request reached Ollama
// A prompt or message containing "[fail-midstream]" makes the stream send an
// {"error": ...} line after two tokens (status stays 200, like Ollama).
// Request headers that simulate failures:
//   X-Fake-Ollama-Drop: TOKEN      the first request carrying TOKEN is read and
//                                  its connection closed without an answer (a
//                                  crash after receiving it); later ones with
//                                  the same TOKEN are answered
//   X-Fake-Ollama-Delay-Ms: N      nothing is sent for N ms before answering
//                                  (a model load, a slow pull)
// Models become "loaded" (listed by /api/ps) on first use. /api/pull adds a
// model, /api/copy copies one, /api/delete removes one.
//
// The product never depends on this program.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/ollama/slots.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::ordered_json;  // keeps Ollama's field order (model first, metrics last)
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

namespace {

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 11434;
  int parallel = 1;
  int max_queue = 512;
  std::chrono::milliseconds token_delay{10};
  int tokens = 8;
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
  c.token_delay = std::chrono::milliseconds(env_int("FAKE_OLLAMA_TOKEN_DELAY_MS", 10));
  c.tokens = std::max(1, env_int("FAKE_OLLAMA_TOKENS", 8));
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

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1000000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(ns));
  return out;
}

std::uint64_t model_size(std::size_t index) { return 1'300'000'000ull + index * 700'000'000ull; }

struct Fake {
  Config cfg;
  stackd::fakes::Slots slots;
  std::map<std::string, Clock::time_point> loaded;  // model -> loaded since
  std::uint64_t next_id = 1;
  std::set<std::string> dropped;  // X-Fake-Ollama-Drop tokens already used
  std::ofstream journal;

  explicit Fake(Config c) : cfg(std::move(c)), slots(cfg.parallel, cfg.max_queue) {
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

// The prompt text, for token counting and the failure marker.
std::string prompt_of(const json& body) {
  std::string text;
  if (body.contains("prompt") && body["prompt"].is_string()) text = body["prompt"].get<std::string>();
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto& m : body["messages"])
      if (m.contains("content") && m["content"].is_string()) text += m["content"].get<std::string>() + " ";
  if (body.contains("input")) text += body["input"].dump();
  return text;
}

int count_words(const std::string& s) {
  int n = 0;
  bool in = false;
  for (char c : s) {
    bool sp = c == ' ' || c == '\n' || c == '\t';
    if (!sp && !in) ++n;
    in = !sp;
  }
  return n;
}

struct Generation {
  enum class Kind { Generate, Chat, OpenAIChat } kind;
  std::string model;
  bool stream = true;
  bool include_usage = false;
  bool fail_midstream = false;
  int tokens = 8;
  int prompt_tokens = 0;
};

std::string token_text(int i) {
  static const char* words[] = {"The", " sky", " is", " blue", " because", " of", " Rayleigh", " scattering", "."};
  return words[i % 9];
}

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
    if (fake_.model_index(model) < 0) {
      json err = {{"error", "model '" + model + "' not found"}};
      if (target.starts_with("/v1/")) err = {{"error", {{"message", err["error"]}, {"type", "api_error"}}}};
      {
        pending_ = json_response(req, http::status::not_found, err);
        co_return co_await flush();
      }
    }

    Generation g;
    g.model = model;
    std::string prompt = prompt_of(body);
    g.prompt_tokens = count_words(prompt) + 10;
    g.fail_midstream = prompt.find("[fail-midstream]") != std::string::npos;
    g.tokens = fake_.cfg.tokens;
    if (body.contains("options") && body["options"].is_object())
      g.tokens = std::max(1, body["options"].value("num_predict", g.tokens));
    if (body.contains("max_tokens") && body["max_tokens"].is_number_integer())
      g.tokens = std::max(1, body["max_tokens"].get<int>());

    if (target == "/api/embed" || target == "/api/embeddings" || target == "/v1/embeddings")
      co_return co_await embed(req, target, g);
    if (target == "/api/generate")
      g.kind = Generation::Kind::Generate;
    else if (target == "/api/chat")
      g.kind = Generation::Kind::Chat;
    else if (target == "/v1/chat/completions")
      g.kind = Generation::Kind::OpenAIChat;
    else {
      pending_ = json_response(req, http::status::not_found, {{"error", "404 page not found"}});
      co_return co_await flush();
    }
    if (g.kind == Generation::Kind::OpenAIChat) {
      g.stream = body.value("stream", false);  // OpenAI default: not streamed
      if (body.contains("stream_options") && body["stream_options"].is_object())
        g.include_usage = body["stream_options"].value("include_usage", false);
    } else {
      g.stream = body.value("stream", true);  // Ollama default: streamed
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
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/x-ndjson");
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream_, sr, use_tuple);
    if (hec) co_return false;
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
      if (!co_await write_chunk(lines[i].dump() + "\n")) co_return false;
    }
    co_return co_await finish(false, req.keep_alive());
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
    fake_.loaded.erase(fake_.cfg.models[static_cast<std::size_t>(index)]);
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

  json ps() const {
    json models = json::array();
    for (const auto& [name, since] : fake_.loaded) {
      auto i = static_cast<std::size_t>(fake_.model_index(name));
      auto size = model_size(i);
      // Every second model is partly offloaded to system RAM, as on small GPUs.
      auto vram = i % 2 == 0 ? size : size / 2;
      models.push_back(
          {{"name", name},
           {"model", name},
           {"size", size},
           {"digest", "sha256:" + std::string(64, static_cast<char>('a' + i % 6))},
           {"details",
            {{"format", "gguf"}, {"family", "llama"}, {"parameter_size", "1.2B"}, {"quantization_level", "Q8_0"}}},
           {"expires_at", "2099-01-01T00:00:00Z"},
           {"size_vram", vram},
           {"context_length", 4096}});
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

  // Marks the model loaded; returns the load duration to report.
  std::chrono::nanoseconds load(const std::string& model) {
    auto [it, inserted] = fake_.loaded.emplace(model, Clock::now());
    return inserted ? std::chrono::milliseconds(850) : std::chrono::microseconds(1200);
  }

  net::awaitable<bool> embed(const Request& req, const std::string& target, const Generation& g) {
    auto start = Clock::now();
    auto lease = co_await fake_.slots.acquire(g.model);
    if (!lease) co_return co_await busy(req);
    auto load_ns = load(g.model);
    json vec = json::array();
    for (int i = 0; i < 8; ++i) vec.push_back(0.01 * (i + 1));
    auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start) + load_ns;
    if (target == "/v1/embeddings") {
      pending_ = json_response(req, http::status::ok,
                               {{"object", "list"},
                                {"data", json::array({{{"object", "embedding"}, {"embedding", vec}, {"index", 0}}})},
                                {"model", g.model},
                                {"usage", {{"prompt_tokens", g.prompt_tokens}, {"total_tokens", g.prompt_tokens}}}});
      co_return co_await flush();
    }
    if (target == "/api/embeddings") {
      pending_ = json_response(req, http::status::ok, {{"embedding", vec}});
      co_return co_await flush();
    }
    {
      pending_ = json_response(req, http::status::ok,
                               {{"model", g.model},
                                {"embeddings", json::array({vec})},
                                {"total_duration", total.count()},
                                {"load_duration", load_ns.count()},
                                {"prompt_eval_count", g.prompt_tokens}});
      co_return co_await flush();
    }
  }

  net::awaitable<bool> busy(const Request& req) {
    {
      pending_ = json_response(req, http::status::service_unavailable,
                               {{"error", "server busy, please try again.  maximum pending requests exceeded"}});
      co_return co_await flush();
    }
  }

  json chunk(const Generation& g, const std::string& text) {
    if (g.kind == Generation::Kind::Generate)
      return {{"model", g.model}, {"created_at", rfc3339_now()}, {"response", text}, {"done", false}};
    if (g.kind == Generation::Kind::Chat)
      return {{"model", g.model},
              {"created_at", rfc3339_now()},
              {"message", {{"role", "assistant"}, {"content", text}}},
              {"done", false}};
    return {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", std::time(nullptr)},
            {"model", g.model},
            {"system_fingerprint", "fp_ollama"},
            {"choices",
             json::array(
                 {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", nullptr}}})}};
  }

  // Ollama's final chunk: done, done_reason and the metrics, all durations in ns.
  json final_chunk(const Generation& g, const std::string& full_text, std::chrono::nanoseconds total,
                   std::chrono::nanoseconds load_ns, std::chrono::nanoseconds eval_ns) {
    json j = {{"model", g.model}, {"created_at", rfc3339_now()}};
    if (g.kind == Generation::Kind::Generate)
      j["response"] = full_text;
    else
      j["message"] = {{"role", "assistant"}, {"content", full_text}};
    j["done"] = true;
    j["done_reason"] = "stop";
    if (g.kind == Generation::Kind::Generate) j["context"] = {128006, 882, 128007, 271};
    auto prompt_ns = std::chrono::nanoseconds(g.prompt_tokens * 350'000LL);
    j["total_duration"] = (total + load_ns + prompt_ns).count();
    j["load_duration"] = load_ns.count();
    j["prompt_eval_count"] = g.prompt_tokens;
    j["prompt_eval_duration"] = prompt_ns.count();
    j["eval_count"] = g.tokens;
    j["eval_duration"] = std::max<std::int64_t>(eval_ns.count(), g.tokens * 1'000'000LL);
    return j;
  }

  net::awaitable<bool> generate(const Request& req, const Generation& g) {
    auto start = Clock::now();
    auto lease = co_await fake_.slots.acquire(g.model);
    if (!lease) co_return co_await busy(req);
    auto load_ns = load(g.model);
    id_ = "chatcmpl-" + std::to_string(fake_.next_id++);
    bool openai = g.kind == Generation::Kind::OpenAIChat;

    if (!g.stream) {
      net::steady_timer t(stream_.get_executor());
      t.expires_after(fake_.cfg.token_delay * g.tokens);
      co_await t.async_wait(use_tuple);
      std::string text;
      for (int i = 0; i < g.tokens; ++i) text += token_text(i);
      auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
      if (g.fail_midstream) {
        pending_ = json_response(req, http::status::internal_server_error, {{"error", "fake failure"}});
        co_return co_await flush();
      }
      if (openai) {
        pending_ = json_response(req, http::status::ok,
                                 {{"id", id_},
                                  {"object", "chat.completion"},
                                  {"created", std::time(nullptr)},
                                  {"model", g.model},
                                  {"system_fingerprint", "fp_ollama"},
                                  {"choices", json::array({{{"index", 0},
                                                            {"message", {{"role", "assistant"}, {"content", text}}},
                                                            {"finish_reason", "stop"}}})},
                                  {"usage",
                                   {{"prompt_tokens", g.prompt_tokens},
                                    {"completion_tokens", g.tokens},
                                    {"total_tokens", g.prompt_tokens + g.tokens}}}});
        co_return co_await flush();
      }
      {
        pending_ = json_response(req, http::status::ok, final_chunk(g, text, total, load_ns, total));
        co_return co_await flush();
      }
    }

    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, openai ? "text/event-stream" : "application/x-ndjson");
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream_, sr, use_tuple);
    if (hec) co_return false;

    auto frame = [&](const json& j) { return openai ? "data: " + j.dump() + "\n\n" : j.dump() + "\n"; };
    net::steady_timer timer(stream_.get_executor());
    auto eval_start = Clock::now();
    std::string text;
    for (int i = 0; i < g.tokens; ++i) {
      timer.expires_after(fake_.cfg.token_delay);
      co_await timer.async_wait(use_tuple);
      if (g.fail_midstream && i == 2) {
        json err = openai ? json{{"error", {{"message", "fake failure mid-stream"}, {"type", "api_error"}}}}
                          : json{{"error", "fake failure mid-stream"}};
        if (!co_await write_chunk(frame(err))) co_return false;
        co_return co_await finish(openai, false);
      }
      text += token_text(i);
      if (!co_await write_chunk(frame(chunk(g, token_text(i))))) co_return false;
    }
    auto now = Clock::now();
    auto eval_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - eval_start);
    auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start);
    if (openai) {
      json fin = chunk(g, "");
      fin["choices"][0]["delta"] = {{"role", "assistant"}, {"content", ""}};
      fin["choices"][0]["finish_reason"] = "stop";
      if (!co_await write_chunk(frame(fin))) co_return false;
      if (g.include_usage) {
        json usage = chunk(g, "");
        usage["choices"] = json::array();
        usage["usage"] = {{"prompt_tokens", g.prompt_tokens},
                          {"completion_tokens", g.tokens},
                          {"total_tokens", g.prompt_tokens + g.tokens}};
        if (!co_await write_chunk(frame(usage))) co_return false;
      }
      if (!co_await write_chunk("data: [DONE]\n\n")) co_return false;
    } else {
      if (!co_await write_chunk(frame(final_chunk(g, "", total, load_ns, eval_ns)))) co_return false;
    }
    co_return co_await finish(openai, req.keep_alive());
  }

  net::awaitable<bool> write_chunk(std::string data) {
    auto [ec, n] = co_await net::async_write(stream_, http::make_chunk(net::buffer(data)), use_tuple);
    co_return !ec;
  }

  net::awaitable<bool> finish(bool, bool keep_alive) {
    auto [ec, n] = co_await net::async_write(stream_, http::make_chunk_last(), use_tuple);
    co_return !ec && keep_alive;
  }

  Fake& fake_;
  beast::tcp_stream& stream_;
  std::string id_;
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
