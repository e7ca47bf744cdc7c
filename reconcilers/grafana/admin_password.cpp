#include "reconcilers/grafana/admin_password.hpp"

#include "common/private_directory.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace stackd::grafana {

namespace {

constexpr std::size_t kMaxPassword = 4096;

std::string read_password_file(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(what + " " + path.string() + " cannot be read");
  std::string s(kMaxPassword + 1, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<std::size_t>(in.gcount()));
  if (s.size() > kMaxPassword) throw std::runtime_error(what + " " + path.string() + " is over 4 KiB");
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) throw std::runtime_error(what + " " + path.string() + " is empty");
  return s;
}

}  // namespace

std::string generate_password() {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < 32) {
    unsigned char buf[64];
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    for (unsigned char b : buf)
      if (b < 248 && out.size() < 32) out.push_back(alphabet[b % 62]);  // 248 = 4*62: no modulo bias
  }
  return out;
}

std::string resolve_admin_password(const std::filesystem::path& file, const std::string& env_name,
                                   const std::filesystem::path& state_dir, Storage storage) {
  if (!file.empty() && !env_name.empty())
    throw std::runtime_error("grafana admin: give passwordFile or passwordEnv, not both");
  if (!file.empty()) return read_password_file(file, "grafana admin passwordFile");
  if (!env_name.empty()) {
    const char* v = std::getenv(env_name.c_str());
    if (!v || !*v) throw std::runtime_error("grafana admin passwordEnv: environment variable " + env_name + " is not set");
    if (std::strlen(v) > kMaxPassword) throw std::runtime_error("environment variable " + env_name + " is over 4 KiB");
    return v;
  }
  if (state_dir.empty() && storage == Storage::ReadOnly) return "";
  if (state_dir.empty()) throw std::runtime_error("grafana admin: no password given and no state directory to keep one");
  const auto path = state_dir / kGeneratedPasswordFile;
  std::error_code ec;
  if (storage == Storage::ReadOnly)
    return std::filesystem::exists(path, ec) ? read_password_file(path, "generated Grafana admin password file") : "";
  if (std::filesystem::exists(path)) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      ::chmod(path.c_str(), 0600);
      spdlog::warn("grafana: {} was readable by others; mode set to 0600", path.string());
    }
    return read_password_file(path, "generated Grafana admin password file");
  }
  create_private_directories(state_dir);
  std::string pw = generate_password();
  // O_EXCL: two stackd processes racing on first start must not both win.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_password_file(path, "generated Grafana admin password file");
    throw StateDirectoryError(state_dir, "cannot create " + path.filename().string() + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, pw.data(), pw.size()) == static_cast<ssize_t>(pw.size()) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());  // an empty password file would be read as the password next time
    throw StateDirectoryError(state_dir, "cannot write " + path.filename().string() + ": " + std::strerror(write_errno));
  }
  spdlog::info("grafana: generated an admin password; read it from {} (mode 0600)", path.string());
  return pw;
}

}  // namespace stackd::grafana
