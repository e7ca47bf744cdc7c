#pragma once
// One writer per stack: which stackd daemon manages a stack, as every stackd
// on the same engine can see it, and the decisions built on it (docs/daemon.md,
// "One daemon per stack"). Pure: the I/O is in daemon_ownership.hpp.
//
// The record is a volume named <stack>-stackd-daemon carrying stackd's
// ownership labels and the daemon's facts as labels (the engine is the one
// store every stackd of this engine reaches, on the host or in a container,
// with no shared files). It holds no data and no component label, so `down`
// and the data-volume logic never see it.
//
// A crashed daemon leaves its record behind; whether the recorded daemon
// still runs is checked against the daemon itself, never against the age of
// the record:
//   in a container         the engine says whether that container runs;
//   a process on the host  its pid and start time, when the one looking shares
//                          the boot and the pid namespace (/proc shows it);
//                          a record from an earlier boot of this host is gone;
//   otherwise              its /status at the recorded address answers for
//                          the same stack; no answer is "cannot tell", which
//                          refuses with the way out (--force).
#include <optional>
#include <string>
#include <string_view>

#include "clients/docker/docker_api.hpp"

namespace stackd::ownership {

// The volume that records the daemon of `stack`.
std::string record_volume(const std::string& stack);

struct DaemonRecord {
  std::string stack;
  std::string instance;  // random per daemon process: who holds the record
  std::string since;     // RFC 3339, when it claimed the stack
  std::string listen;    // address:port of its /healthz /status /metrics
  std::string version;
  std::string container_id, container_name;  // set when it runs in a container
  std::string host;                          // its host name
  std::string boot_id;                       // /proc/sys/kernel/random/boot_id
  std::string pid_ns;                        // readlink /proc/self/ns/pid: "pid:[4026531836]"
  long pid = 0;
  unsigned long long pid_start = 0;          // field 22 of /proc/PID/stat: tells a reused pid apart
};

docker::Labels to_labels(const DaemonRecord& record);
// The record of `stack` in a volume's labels; nullopt unless they carry
// stackd's labels for this stack and an instance.
std::optional<DaemonRecord> from_labels(const docker::Labels& labels, const std::string& stack);

// The one looking at a record (a CLI verb or another daemon).
struct Observer {
  std::string host, boot_id, pid_ns;
};

enum class Check {
  Container,     // ask the engine about the recorded container
  Process,       // read /proc/PID/stat here
  PreviousBoot,  // recorded on this host before its last boot: gone
  Http,          // ask the recorded address
};
Check choose_check(const DaemonRecord& record, const Observer& observer);

enum class Liveness { Alive, Gone, Unknown };

struct Probe {
  Liveness liveness = Liveness::Unknown;
  std::string detail;  // why Unknown or Gone, for messages
};

// The state and start time in a /proc/PID/stat text; nullopt when malformed.
struct ProcessStat {
  char state = '?';
  unsigned long long start = 0;
};
std::optional<ProcessStat> parse_proc_stat(std::string_view text);

// `stat`: the content of /proc/PID/stat, nullopt when there is no such process.
Probe process_liveness(const std::optional<std::string>& stat, unsigned long long expected_start);
Probe container_liveness(const std::optional<docker::ContainerInfo>& container);
// `status`: the HTTP status of GET /status, nullopt when nothing answered
// (`error` says why); `answered_stack`: the "stack" of its document.
Probe http_liveness(std::optional<unsigned> status, const std::string& answered_stack, const std::string& stack,
                    const std::string& error);

// Where and since when: "on host box (pid 42) since 2026-01-01T00:00:00Z,
// serving 127.0.0.1:9321" or "in container stackd (0123456789ab) since ...".
std::string describe(const DaemonRecord& record);

// The address to probe a daemon at, from where it listens: a wildcard
// becomes loopback. "http://127.0.0.1:9321".
std::string probe_url(const std::string& listen);

enum class Verb { Apply, Down, Run };

struct Decision {
  bool proceed = true;
  std::string message;  // why it refuses, or a warning/note to print when it proceeds ("" none)
};

// `apply` or `down` of `stack`, beside the daemon recorded for it (if any).
Decision writer_decision(Verb verb, const std::string& stack, const std::optional<DaemonRecord>& record,
                         const Probe& probe, bool force);
// `stackd run` (instance `self`) claiming `stack`.
Decision claim_decision(const std::string& stack, const std::optional<DaemonRecord>& record, const Probe& probe,
                        const std::string& self, bool force);

}  // namespace stackd::ownership
