#pragma once
// Where Grafana's admin password comes from (docs/manifest.md: no password is
// baked in): a file, an environment variable, or, when neither is given,
// generated once with a CSPRNG and kept in stackd's state directory with
// mode 0600. The value is never logged; where to read it is.
#include <filesystem>
#include <string>

namespace stackd::grafana {

// Exactly one of `file` / `env_name` may be non-empty; both empty means
// generate-or-reuse <state_dir>/grafana-admin-password. A file's trailing
// newline is dropped (editors add one). Throws std::runtime_error naming the
// file or variable (never the value) when it is missing, empty or over 4 KiB.
// With Storage::ReadOnly (`stackd diff`) nothing is generated or written:
// no stored password gives "".
enum class Storage { GenerateAndStore, ReadOnly };
std::string resolve_admin_password(const std::filesystem::path& file, const std::string& env_name,
                                   const std::filesystem::path& state_dir,
                                   Storage storage = Storage::GenerateAndStore);

// 32 characters from [A-Za-z0-9], 190 bits, from OpenSSL RAND_bytes.
std::string generate_password();

inline constexpr const char* kGeneratedPasswordFile = "grafana-admin-password";

}  // namespace stackd::grafana
