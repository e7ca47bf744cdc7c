#pragma once
// SHA-256 via OpenSSL, hex-encoded. Used for spec hashes, manifest revisions
// and dashboard comparison.
#include <string>
#include <string_view>

namespace stackd {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(std::string_view data);
  std::string hex();  // finishes the digest

 private:
  void* ctx_;  // EVP_MD_CTX
};

std::string sha256_hex(std::string_view data);

}  // namespace stackd
