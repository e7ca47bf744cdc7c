// stackd status: the running daemon's conditions and components, from its
// /status endpoint.
#include <iostream>

#include <nlohmann/json.hpp>

#include "clients/http/http_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/verbs.hpp"
#include "runtime/status.hpp"

namespace stackd::cli {

namespace net = boost::asio;

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
        if (o->json) {
          std::cout << j.dump(2) << "\n";
        } else {
          runtime::StackStatus status;
          runtime::from_json(j, status);
          std::cout << runtime::format_status(status, std::chrono::system_clock::now());
        }
        co_return kOk;
      });
    };
  });
}

}  // namespace stackd::cli
