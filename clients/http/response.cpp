// Response's header lookup, apart from the client's coroutines so that it
// can be fuzzed (fuzz/fuzz_http_headers.cpp) on its own.
#include <cctype>

#include "clients/http/http_client.hpp"

namespace stackd::http {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (equal_ignoring_case(k, name)) return v;
  return {};
}

}  // namespace stackd::http
