#pragma once
// Registry credentials as the Docker CLI keeps them, for image pulls:
// $DOCKER_CONFIG/config.json (default ~/.docker/config.json) with
//   "credHelpers": {"<registry>": "<helper>"}   a helper for one registry,
//   "credsStore":  "<helper>"                    a helper for all,
//   "auths":       {"<registry>": {"auth": base64("user:password")}, ...}
// in that order of precedence, as the CLI does. A helper is the program
// docker-credential-<helper>, asked with `get` and the registry on stdin.
//
// The engine takes the credentials per request in the X-Registry-Auth header
// (base64url of {"username","password","serveraddress"}). They live only in
// memory for that request: never logged, never in labels or status. Error
// messages name the config file or helper, never a credential.
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stackd::docker {

struct RegistryCredentials {
  std::string server_address;
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth refresh token some helpers return instead of a password
};

// A config file or credential helper that cannot be used (malformed JSON,
// helper failing). Its message never contains a secret.
class RegistryAuthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The registry an image reference names, as the CLI's config keys it:
// "127.0.0.1:5000/team/x:1" -> "127.0.0.1:5000", "localhost/x" -> "localhost",
// "prom/prometheus:v2" and "debian" -> "https://index.docker.io/v1/" (Docker Hub).
std::string registry_of(std::string_view image_ref);

struct RegistryAuthConfig {
  std::filesystem::path config_file;  // config.json (need not exist)
  std::string helper_path;            // where to look for docker-credential-* (PATH syntax)
  std::chrono::seconds helper_timeout{10};
  // $DOCKER_CONFIG/config.json or $HOME/.docker/config.json; $PATH.
  static RegistryAuthConfig from_env();
};

// Credentials for `registry` (a registry_of() value), or nullopt when the
// config has none (anonymous pull). Throws RegistryAuthError when the config
// or a helper it names is broken. Bounded: the config file and a helper's
// answer are read up to 1 MiB / 64 KiB, a helper gets helper_timeout.
std::optional<RegistryCredentials> find_credentials(const RegistryAuthConfig& config, const std::string& registry);

// The X-Registry-Auth header value for the engine.
std::string registry_auth_header(const RegistryCredentials& credentials);

}  // namespace stackd::docker
