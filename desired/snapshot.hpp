#pragma once
// One revision of the desired state, read once and never changed: the
// validated manifest with the content of every file it references (rules,
// dashboards, extra scrape configs, secrets), where it came from, and the
// values resolved outside the manifest (a generated Grafana password, the
// exporter's image). A reconcile pass works on the snapshot it started with,
// so a file edited mid-pass, or an invalid edit, never reaches it.
//
// It carries the rendered desired state (desired/render.hpp), built once per
// revision before the snapshot is published: a snapshot that exists always
// renders, and reconcilers only read what was rendered, never render.
#include <memory>
#include <string>
#include <vector>

#include "api/v1alpha1/manifest.hpp"
#include "desired/desired_state.hpp"

namespace stackd::desired {

// Where a revision came from, for people: "file" with the manifest path, or
// "git" with "REF@sha1:COMMIT" (Flux's format).
struct SourceRevision {
  std::string source = "file";  // file | git
  std::string revision;         // path for file, REF@sha1:COMMIT for git
  std::string display_url;      // a git URL with any credentials redacted; empty for file
  // What stays the same across revisions of one desired state: the manifest's
  // absolute path, or the redacted git URL with the path in the repository.
  // A stack renamed within one origin is the same stack.
  std::string origin;
};

// Values the manifest points at but does not hold. Never logged, never in
// /status or /metrics: Status redacts every one of them.
struct ResolvedSecrets {
  std::string grafana_admin_password;
  std::string grafana_service_account_token;
  // Every secret value above and any other a reconciler reads from the
  // snapshot (alert receiver tokens, ...), for redaction.
  std::vector<std::string> all() const { return {grafana_admin_password, grafana_service_account_token}; }
};

struct Snapshot {
  manifest::Manifest manifest;  // validated; FileRef contents loaded and bounded
  std::string revision;  // sha256 of the manifest and every referenced file (== manifest.revision)
  SourceRevision source;
  ResolvedSecrets secrets;
  std::string exporter_image;  // the Ollama exporter's image when the manifest names none
  std::string state_dir;       // where this stack's state lives (applied passwords, managed stacks)
  DesiredState desired;        // rendered from all of the above, once
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace stackd::desired
