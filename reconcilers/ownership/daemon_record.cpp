#include "reconcilers/ownership/daemon_record.hpp"

#include <charconv>

#include "api/v1alpha1/labels.hpp"

namespace stackd::ownership {

namespace {

constexpr const char* kInstance = "dev.stackd.daemon.instance";
constexpr const char* kSince = "dev.stackd.daemon.since";
constexpr const char* kListen = "dev.stackd.daemon.listen";
constexpr const char* kVersion = "dev.stackd.daemon.version";
constexpr const char* kContainerId = "dev.stackd.daemon.container-id";
constexpr const char* kContainerName = "dev.stackd.daemon.container-name";
constexpr const char* kHost = "dev.stackd.daemon.host";
constexpr const char* kBootId = "dev.stackd.daemon.boot-id";
constexpr const char* kPidNs = "dev.stackd.daemon.pid-ns";
constexpr const char* kPid = "dev.stackd.daemon.pid";
constexpr const char* kPidStart = "dev.stackd.daemon.pid-start";

std::string get(const docker::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

template <typename T>
T number(const std::string& text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : T{};
}

std::string verb_name(Verb verb) {
  switch (verb) {
    case Verb::Apply: return "apply";
    case Verb::Down: return "down";
    case Verb::Run: return "run";
  }
  return "";
}

// What the other daemon would do to this verb's work.
std::string consequence(Verb verb) {
  switch (verb) {
    case Verb::Apply: return "it enforces the manifest it watches and would fight or undo this apply";
    case Verb::Down: return "it would recreate what down removes";
    case Verb::Run: return "two daemons would fight over the stack";
  }
  return "";
}

std::string fix(Verb verb, const std::string& stack) {
  if (verb == Verb::Run)
    return "stop that daemon first, or run `stackd run --force` to take the stack over (the other daemon keeps "
           "running and reports AnotherDaemon)";
  std::string out = "stop that daemon first";
  if (verb == Verb::Apply) out += " (or edit the manifest it watches: it applies the edit itself)";
  return out + ", or run `stackd " + verb_name(verb) + " --force` to act anyway; `stackd status` shows stack " + stack;
}

}  // namespace

std::string record_volume(const std::string& stack) { return stack + "-stackd-daemon"; }

docker::Labels to_labels(const DaemonRecord& r) {
  docker::Labels l = labels::owner_labels(r.stack);
  l[kInstance] = r.instance;
  l[kSince] = r.since;
  l[kListen] = r.listen;
  l[kVersion] = r.version;
  l[kHost] = r.host;
  l[kBootId] = r.boot_id;
  l[kPidNs] = r.pid_ns;
  l[kPid] = std::to_string(r.pid);
  l[kPidStart] = std::to_string(r.pid_start);
  if (!r.container_id.empty()) {
    l[kContainerId] = r.container_id;
    l[kContainerName] = r.container_name;
  }
  return l;
}

std::optional<DaemonRecord> from_labels(const docker::Labels& l, const std::string& stack) {
  if (get(l, labels::kManagedBy) != labels::kManagedByValue || get(l, labels::kStack) != stack) return std::nullopt;
  DaemonRecord r;
  r.stack = stack;
  r.instance = get(l, kInstance);
  if (r.instance.empty()) return std::nullopt;
  r.since = get(l, kSince);
  r.listen = get(l, kListen);
  r.version = get(l, kVersion);
  r.container_id = get(l, kContainerId);
  r.container_name = get(l, kContainerName);
  r.host = get(l, kHost);
  r.boot_id = get(l, kBootId);
  r.pid_ns = get(l, kPidNs);
  r.pid = number<long>(get(l, kPid));
  r.pid_start = number<unsigned long long>(get(l, kPidStart));
  return r;
}

Check choose_check(const DaemonRecord& r, const Observer& o) {
  if (!r.container_id.empty()) return Check::Container;
  const bool same_host = !r.host.empty() && r.host == o.host;
  if (same_host && !r.boot_id.empty() && !o.boot_id.empty() && r.boot_id != o.boot_id) return Check::PreviousBoot;
  if (r.pid > 0 && !r.boot_id.empty() && r.boot_id == o.boot_id && !r.pid_ns.empty() && r.pid_ns == o.pid_ns)
    return Check::Process;
  return Check::Http;
}

std::optional<ProcessStat> parse_proc_stat(std::string_view text) {
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so
  // the fields are counted from the last ')'.
  auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  ProcessStat st;
  int field = 2;  // the last field read: COMM
  std::size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    auto end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (end == pos) break;
    ++field;
    auto token = rest.substr(pos, end - pos);
    if (field == 3) st.state = token[0];
    if (field == 22) {
      auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), st.start);
      if (ec != std::errc() || p != token.data() + token.size()) return std::nullopt;
      return st;
    }
    pos = end;
  }
  return std::nullopt;
}

Probe process_liveness(const std::optional<std::string>& stat, unsigned long long expected_start) {
  if (!stat) return {Liveness::Gone, "no process has its pid"};
  auto st = parse_proc_stat(*stat);
  if (!st) return {Liveness::Unknown, "its /proc entry could not be read"};
  if (st->start != expected_start) return {Liveness::Gone, "its pid now belongs to another process"};
  if (st->state == 'Z' || st->state == 'X') return {Liveness::Gone, "the process has exited"};
  return {Liveness::Alive, ""};
}

Probe container_liveness(const std::optional<docker::ContainerInfo>& c) {
  if (!c) return {Liveness::Gone, "its container no longer exists"};
  if (c->state.running || c->state.status == "restarting") return {Liveness::Alive, ""};
  return {Liveness::Gone, "its container is " + (c->state.status.empty() ? std::string("not running") : c->state.status)};
}

Probe http_liveness(std::optional<unsigned> status, const std::string& answered_stack, const std::string& stack,
                    const std::string& error) {
  if (!status) return {Liveness::Unknown, "nothing answers at its address (" + error + ")"};
  if (*status == 200 && answered_stack == stack) return {Liveness::Alive, ""};
  if (*status == 200) return {Liveness::Gone, "a daemon of stack '" + answered_stack + "' answers at its address"};
  return {Liveness::Unknown, "its address answered HTTP " + std::to_string(*status)};
}

std::string describe(const DaemonRecord& r) {
  std::string out;
  if (!r.container_id.empty())
    out = "in container " + (r.container_name.empty() ? std::string() : r.container_name + " ") + "(" +
          r.container_id.substr(0, 12) + ")";
  else
    out = "on host " + (r.host.empty() ? std::string("?") : r.host) + " (pid " + std::to_string(r.pid) + ")";
  if (!r.since.empty()) out += " since " + r.since;
  if (!r.listen.empty()) out += ", serving " + r.listen;
  return out;
}

std::string probe_url(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  std::string port = colon == std::string::npos ? "9321" : listen.substr(colon + 1);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  else if (host == "[::]" || host == "::") host = "[::1]";
  return "http://" + host + ":" + port;
}

Decision writer_decision(Verb verb, const std::string& stack, const std::optional<DaemonRecord>& record,
                         const Probe& probe, bool force) {
  if (!record) return {true, ""};
  const std::string who = "a stackd daemon " + describe(*record);
  switch (probe.liveness) {
    case Liveness::Gone:
      return {true, "note: the stackd daemon recorded for stack " + stack + " " + describe(*record) + " is gone (" +
                        probe.detail + ")"};
    case Liveness::Alive:
      if (force)
        return {true, "warning: --force: acting on stack " + stack + " although " + who + " manages it"};
      return {false, "stackd " + verb_name(verb) + ": stack " + stack + " is managed by " + who + "; " +
                         consequence(verb) + ".\nFix: " + fix(verb, stack)};
    case Liveness::Unknown:
      if (force)
        return {true, "warning: --force: acting on stack " + stack + " although " + who +
                          " may still manage it (" + probe.detail + ")"};
      return {false, "stackd " + verb_name(verb) + ": stack " + stack + " has " + who +
                         " on record, and whether it still runs cannot be told: " + probe.detail +
                         ".\nFix: if that daemon is gone, run `stackd " + verb_name(verb) +
                         " --force` (or remove its record: docker volume rm " + record_volume(stack) +
                         "); else " + fix(verb, stack)};
  }
  return {true, ""};
}

Decision claim_decision(const std::string& stack, const std::optional<DaemonRecord>& record, const Probe& probe,
                        const std::string& self, bool force) {
  if (record && record->instance == self) return {true, ""};
  return writer_decision(Verb::Run, stack, record, probe, force);
}

}  // namespace stackd::ownership
