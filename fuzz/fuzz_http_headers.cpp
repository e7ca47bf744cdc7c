// An HTTP response from a hostile server, read the way clients/http reads
// one (Beast's parser with the client's header and body limits), then its
// headers copied and looked up through Response::header.
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>

#include "clients/http/http_client.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  stackd::http::Limits limits;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(limits.max_header);
  parser.body_limit(limits.max_body);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (!parser.is_header_done()) return 0;
  stackd::http::Response r;
  r.status = parser.get().result_int();
  for (const auto& f : parser.get()) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  (void)r.header("Content-Type");
  (void)r.header("api-version");
  (void)r.header("");
  return 0;
}
