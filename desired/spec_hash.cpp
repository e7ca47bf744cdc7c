#include "desired/spec_hash.hpp"

#include "api/v1alpha1/labels.hpp"
#include "common/sha256.hpp"

namespace stackd::desired {

using nlohmann::json;
using namespace labels;  // the ownership labels of docs/manifest.md, "What stackd owns"

namespace {

// The create document as the applied-spec label keeps it: environment values
// replaced by digests (a value may be a secret the user put there; a digest
// still tells that it changed).
json applied_document(json body) {
  if (body.contains("Env") && body["Env"].is_array())
    for (auto& e : body["Env"]) {
      const std::string entry = e.get<std::string>();
      const auto eq = entry.find('=');
      if (eq != std::string::npos) e = entry.substr(0, eq + 1) + "sha256:" + sha256_hex(entry.substr(eq + 1)).substr(0, 12);
    }
  return body;
}

}  // namespace

void seal_spec(ContainerSpec& spec) {
  json body = spec.create_body;
  body["Labels"].erase(kSpecHash);
  body["Labels"].erase(kSpecParts);
  body["Labels"].erase(kAppliedSpec);
  // Bookkeeping, not spec: a component added to the stack, or the manifest
  // read from another path, recreates nothing.
  body["Labels"].erase(kStackComponents);
  body["Labels"].erase(kOrigin);
  // nlohmann::json keeps object keys sorted: dump() is canonical.
  std::map<std::string, std::string> parts;
  auto digest = [](const json& j) { return sha256_hex(j.dump()).substr(0, 12); };
  parts["image"] = digest(body.value("Image", json()));
  parts["command"] = digest(json{body.value("Cmd", json()), body.value("Entrypoint", json())});
  parts["env"] = digest(body.value("Env", json()));
  parts["labels"] = digest(body.value("Labels", json()));
  parts["network"] = digest(json{body["HostConfig"].value("NetworkMode", json()), body.value("NetworkingConfig", json()),
                                 body.value("ExposedPorts", json()), body["HostConfig"].value("PortBindings", json()),
                                 body["HostConfig"].value("ExtraHosts", json())});
  parts["mounts"] = digest(json{body["HostConfig"].value("Mounts", json()), body["HostConfig"].value("Binds", json())});
  parts["resources"] = digest(json{body["HostConfig"].value("Memory", json()), body["HostConfig"].value("NanoCpus", json())});
  parts["restart"] = digest(body["HostConfig"].value("RestartPolicy", json()));
  parts["healthcheck"] = digest(body.value("Healthcheck", json()));
  Sha256 h;
  h.update(body.dump());
  for (const auto& f : spec.files) {
    auto d = sha256_hex(f.content);
    parts["file:/" + f.path] = d.substr(0, 12);
    h.update("\nfile ").update(f.path).update(" ").update(std::to_string(f.mode)).update(" ");
    h.update(std::to_string(f.uid) + ":" + std::to_string(f.gid)).update(" ").update(d);
  }
  spec.spec_hash = h.hex();
  spec.spec_parts = parts;
  spec.create_body["Labels"][kSpecHash] = spec.spec_hash;
  spec.create_body["Labels"][kAppliedSpec] = applied_document(std::move(body)).dump();
}

}  // namespace stackd::desired
