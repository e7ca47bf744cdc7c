#include "clients/docker/registry_auth.hpp"

#include "common/base64.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace stackd::docker {

namespace {

constexpr const char* kDockerHub = "https://index.docker.io/v1/";
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::size_t kMaxHelperOutput = 64 * 1024;

// "https://host:port/v2/" -> "host:port", as the CLI compares config keys.
std::string hostname_of(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"})
    if (key.starts_with(scheme)) key.remove_prefix(scheme.size());
  return std::string(key.substr(0, key.find('/')));
}

bool is_docker_hub(std::string_view host) {
  return host == "index.docker.io" || host == "docker.io" || host == "registry-1.docker.io";
}


std::optional<std::string> unbase64(std::string_view in) {
  std::string s(in);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out(3 * s.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as output bytes.
  if (!s.empty() && s.back() == '=') --len;
  if (s.size() > 1 && s[s.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

nlohmann::json read_config(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return nlohmann::json::object();
  auto size = std::filesystem::file_size(file, ec);
  if (ec) throw RegistryAuthError(file.string() + ": cannot read: " + ec.message());
  if (size > kMaxConfigBytes)
    throw RegistryAuthError(file.string() + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  std::ifstream in(file);
  if (!in) throw RegistryAuthError(file.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) throw RegistryAuthError(file.string() + ": not a JSON object");
  return j;
}

// The config's entry for the registry: the exact key, else the key whose
// hostname matches (keys may carry a scheme and a path).
const nlohmann::json* auths_entry(const nlohmann::json& config, const std::string& registry) {
  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return nullptr;
  if (auto exact = auths->find(registry); exact != auths->end() && exact->is_object()) return &*exact;
  std::string want = hostname_of(registry);
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    auto host = hostname_of(it.key());
    if (it->is_object() && (host == want || (is_docker_hub(host) && is_docker_hub(want)))) return &*it;
  }
  return nullptr;
}

std::optional<std::string> find_helper(const std::string& name, const std::string& path) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                          std::string::npos)
    throw RegistryAuthError("credential helper name '" + name + "' is not a plain program name");
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    auto candidate = dir + "/docker-credential-" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

struct HelperAnswer {
  int exit_code = -1;
  std::string output;
};

// Runs `helper get` with the registry on stdin; stdout bounded, time bounded.
HelperAnswer run_helper(const std::string& program, const std::string& registry, std::chrono::seconds timeout) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw RegistryAuthError("pipe failed");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    throw RegistryAuthError("pipe failed");
  }
  pid_t pid = ::fork();
  if (pid < 0) throw RegistryAuthError("fork failed");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execl(program.c_str(), program.c_str(), "get", static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  // A registry name is far below the pipe buffer: this write cannot block.
  (void)!::write(in[1], registry.data(), registry.size());
  ::close(in[1]);
  HelperAnswer answer;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    if (answer.output.size() < kMaxHelperOutput)
      answer.output.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), kMaxHelperOutput - answer.output.size()));
  }
  ::close(out[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw RegistryAuthError("credential helper " + program + " did not answer for " + registry + " within " +
                            std::to_string(timeout.count()) + "s");
  answer.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return answer;
}

std::optional<RegistryCredentials> from_helper(const RegistryAuthConfig& config, const std::string& helper,
                                               const std::string& registry) {
  auto program = find_helper(helper, config.helper_path);
  if (!program)
    throw RegistryAuthError(config.config_file.string() + " names credential helper '" + helper +
                            "' but docker-credential-" + helper + " is not on PATH");
  auto answer = run_helper(*program, registry, config.helper_timeout);
  if (answer.exit_code != 0) {
    // The helper protocol's "not found" answer: pull anonymously, as the CLI does.
    if (answer.output.find("credentials not found") != std::string::npos) return std::nullopt;
    auto first_line = answer.output.substr(0, std::min<std::size_t>(answer.output.find('\n'), 200));
    throw RegistryAuthError("credential helper docker-credential-" + helper + " failed for " + registry + " (exit " +
                            std::to_string(answer.exit_code) + ")" + (first_line.empty() ? "" : ": " + first_line));
  }
  auto j = nlohmann::json::parse(answer.output, nullptr, false);
  if (!j.is_object() || !j.contains("Secret") || !j["Secret"].is_string())
    throw RegistryAuthError("credential helper docker-credential-" + helper + " answered " + registry +
                            " with something that is not {\"Username\",\"Secret\"}");
  RegistryCredentials c;
  c.server_address = registry;
  std::string user = j.value("Username", "");
  // The helper protocol marks an identity token by this user name.
  if (user == "<token>") c.identity_token = j["Secret"].get<std::string>();
  else c.username = user, c.password = j["Secret"].get<std::string>();
  return c;
}

}  // namespace

std::string registry_of(std::string_view ref) {
  auto slash = ref.find('/');
  if (slash == std::string_view::npos) return kDockerHub;
  auto first = ref.substr(0, slash);
  // The CLI's rule: the first component is a registry when it looks like a
  // host (a dot or a port) or is "localhost"; else it is a Hub namespace.
  bool host = first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
              first == "localhost";
  if (!host || is_docker_hub(first)) return kDockerHub;
  return std::string(first);
}

RegistryAuthConfig RegistryAuthConfig::from_env() {
  RegistryAuthConfig c;
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) c.config_file = std::filesystem::path(d) / "config.json";
  else if (const char* h = std::getenv("HOME"); h && *h) c.config_file = std::filesystem::path(h) / ".docker/config.json";
  const char* path = std::getenv("PATH");
  c.helper_path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  return c;
}

std::optional<RegistryCredentials> find_credentials(const RegistryAuthConfig& config, const std::string& registry) {
  if (config.config_file.empty()) return std::nullopt;
  auto j = read_config(config.config_file);
  if (auto helpers = j.find("credHelpers"); helpers != j.end() && helpers->is_object()) {
    for (auto it = helpers->begin(); it != helpers->end(); ++it)
      if (it->is_string() && (it.key() == registry || hostname_of(it.key()) == hostname_of(registry)))
        return from_helper(config, it->get<std::string>(), registry);
  }
  if (auto store = j.find("credsStore"); store != j.end() && store->is_string() && !store->get<std::string>().empty())
    return from_helper(config, store->get<std::string>(), registry);
  const auto* entry = auths_entry(j, registry);
  if (!entry) return std::nullopt;
  RegistryCredentials c;
  c.server_address = registry;
  if (auto t = entry->find("identitytoken"); t != entry->end() && t->is_string()) c.identity_token = t->get<std::string>();
  if (auto a = entry->find("auth"); a != entry->end() && a->is_string() && !a->get<std::string>().empty()) {
    auto decoded = unbase64(a->get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      throw RegistryAuthError(config.config_file.string() + ": the \"auth\" entry for " + registry +
                              " is not base64 of user:password");
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  } else {
    c.username = entry->value("username", "");
    c.password = entry->value("password", "");
  }
  if (c.username.empty() && c.password.empty() && c.identity_token.empty()) return std::nullopt;
  return c;
}

std::string registry_auth_header(const RegistryCredentials& c) {
  nlohmann::json j = {{"serveraddress", c.server_address}};
  if (!c.identity_token.empty()) j["identitytoken"] = c.identity_token;
  else j["username"] = c.username, j["password"] = c.password;
  // base64url, as the engine decodes it.
  auto s = base64_encode(j.dump());
  for (auto& ch : s) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
  return s;
}

}  // namespace stackd::docker
