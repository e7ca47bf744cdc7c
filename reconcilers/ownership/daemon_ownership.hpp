#pragma once
// The I/O around daemon_record.hpp: reading the record of a stack from the
// engine, checking whether the recorded daemon still runs, and a daemon's
// claim on its stack (made before it acts, given up when it stops).
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "clients/docker/docker_api.hpp"
#include "reconcilers/ownership/daemon_record.hpp"

namespace stackd::ownership {

// This process, as a record compares it.
Observer observe_this_process();

// The record of `stack`, nullopt when there is none. A volume of that name
// without stackd's labels is not a record (and is never touched).
boost::asio::awaitable<std::optional<DaemonRecord>> read_record(docker::Api& docker, const std::string& stack);

// Whether the recorded daemon still runs, by the check choose_check picks.
boost::asio::awaitable<Probe> probe(docker::Api& docker, const DaemonRecord& record, const Observer& observer);

// What `apply` or `down` of `stack` may do beside the daemon recorded for it.
struct WriterCheck {
  std::optional<DaemonRecord> record;
  Probe probe;
  Decision decision;
  bool daemon_serves() const { return record && probe.liveness != Liveness::Gone; }
};
boost::asio::awaitable<WriterCheck> check_writer(docker::Api& docker, Verb verb, const std::string& stack, bool force);

// A claim that another daemon holds (the message says who and the fix).
class ClaimRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A daemon's record of the stack it manages: claimed before it acts, kept
// true while it runs (a removed record is put back, a changed address
// rewritten, a renamed stack claimed under the new name), removed when it
// stops. One per daemon process.
class DaemonClaim {
 public:
  // `since`: RFC 3339 of now. With `force`, the first claim of a stack takes
  // it over from a daemon that still runs (or may).
  DaemonClaim(docker::Api& docker, std::string since, bool force);

  const std::string& instance() const { return self_.instance; }
  const std::string& stack() const { return self_.stack; }

  // Claims `stack` for a daemon serving at `listen`; throws ClaimRefused when
  // a daemon that still runs (or may) holds it, unless forced. Claiming the
  // stack it holds again rewrites a missing or outdated record. A previous
  // stack (a rename) is given up once the new one is held.
  boost::asio::awaitable<void> claim(const std::string& stack, const std::string& listen);
  // The record of the held stack when another daemon holds it now (it took
  // the stack over with --force); nullopt while it is this daemon's or gone.
  boost::asio::awaitable<std::optional<DaemonRecord>> taken_over_by();
  // Removes the record if it is still this daemon's.
  boost::asio::awaitable<void> release();

 private:
  boost::asio::awaitable<void> release(const std::string& stack);
  docker::Api& docker_;
  DaemonRecord self_;
  bool force_;
  bool looked_up_container_ = false;  // the container it runs in, once (docker::own_container)
};

}  // namespace stackd::ownership
