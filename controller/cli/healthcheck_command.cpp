// stackd healthcheck: exit 0 when the local daemon's /healthz answers 200.
// It is the image's HEALTHCHECK, so the runtime image needs no curl.
#include <iostream>

#include "clients/http/http_client.hpp"
#include "controller/cli/command_support.hpp"
#include "controller/cli/daemon_address.hpp"
#include "controller/cli/verbs.hpp"

namespace stackd::cli {

namespace net = boost::asio;

void add_healthcheck(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("healthcheck", "exit 0 when the local daemon's /healthz answers 200");
  struct Opts {
    std::string address;  // --address (or its variable); else from -f; else the default
    std::string file;
    int timeout_s = 5;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--address", o->address,
                  "where the daemon serves /healthz (its --listen; default: from -f, else http://127.0.0.1:9321)")
      ->envname("STACKD_HEALTHCHECK_ADDRESS");
  cmd->add_option("-f,--file", o->file, "the manifest: its spec.stackd says where the daemon listens");
  cmd->add_option("--timeout", o->timeout_s, "seconds to wait for the answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));
  cmd->callback([&action, o] {
    action = [o] {
      auto address = daemon_address_from_flags(o->address, o->file);
      if (!address) return int(kUsage);
      o->address = *address;
      return run_coroutine([o]() -> net::awaitable<int> {
        http::Client client(co_await net::this_coro::executor, http::Endpoint::parse(o->address));
        http::Request req{.target = "/healthz", .timeout = std::chrono::seconds(o->timeout_s)};
        try {
          auto resp = co_await client.send(req);
          if (resp.status == 200) co_return kOk;
          std::cerr << o->address << "/healthz answered HTTP " << resp.status << ": " << resp.body.substr(0, 200)
                    << "\n";
        } catch (const http::TransportError& e) {
          std::cerr << "no stackd daemon answers at " << o->address << " (" << e.what() << ")\n";
        }
        co_return kFailed;
      });
    };
  });
}

}  // namespace stackd::cli
