#pragma once
// Standard base64 (RFC 4648, with padding) via OpenSSL: HTTP Basic auth,
// X-Registry-Auth.
#include <string>
#include <string_view>

namespace stackd {

std::string base64_encode(std::string_view in);

}  // namespace stackd
