// stackd status: the running daemon's conditions and components, from its
// /status endpoint.
#include <iostream>

#include <nlohmann/json.hpp>

#include "clients/http/http_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"

namespace stackd::cli {

namespace net = boost::asio;

namespace {

void print_status(const nlohmann::json& s) {
  auto str = [](const nlohmann::json& j, const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string("-");
  };
  std::cout << "stack:     " << str(s, "stack") << "\n";
  std::cout << "revision:  " << str(s, "revision") << "\n";
  if (s.contains("conditions"))
    for (const auto& c : s["conditions"]) {
      std::cout << "condition: " << str(c, "type") << "=" << str(c, "status");
      if (str(c, "reason") != "-") std::cout << " (" << str(c, "reason") << ")";
      if (str(c, "message") != "-" && !str(c, "message").empty()) std::cout << ": " << str(c, "message");
      std::cout << "\n";
    }
  if (s.contains("components")) {
    std::cout << "components:\n";
    for (const auto& c : s["components"]) {
      std::cout << "  " << str(c, "name") << "  container=" << str(c, "container") << "  state=" << str(c, "state")
                << "  last_reconcile=" << str(c, "lastReconcile");
      if (str(c, "lastError") != "-" && !str(c, "lastError").empty()) std::cout << "  last_error=" << str(c, "lastError");
      std::cout << "\n";
    }
  }
}

}  // namespace

void add_status(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("status", "show the running daemon's conditions and components");
  struct Opts {
    std::string address = "http://127.0.0.1:9321";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--address", o->address, "where the daemon serves /status")->capture_default_str();
  cmd->add_flag("--json", o->json, "print the raw JSON");
  cmd->callback([&action, o] {
    action = [o] {
      return run_coroutine([o]() -> net::awaitable<int> {
        http::Client client(co_await net::this_coro::executor, http::Endpoint::parse(o->address));
        http::Request req{.target = "/status", .timeout = std::chrono::seconds(5)};
        http::Response resp;
        try {
          resp = co_await client.send(req);
        } catch (const http::TransportError& e) {
          std::cerr << "no stackd daemon answers at " << o->address << " (" << e.what() << ")\n";
          co_return kFailed;
        }
        auto j = nlohmann::json::parse(resp.body, nullptr, false);
        if (resp.status != 200 || j.is_discarded()) {
          std::cerr << "unexpected answer from " << o->address << "/status: HTTP " << resp.status << "\n";
          co_return kFailed;
        }
        if (o->json) std::cout << j.dump(2) << "\n";
        else print_status(j);
        co_return kOk;
      });
    };
  });
}

}  // namespace stackd::cli
