#include "exporter/request_model.hpp"

#include <nlohmann/json.hpp>

namespace stackd::exporter {

namespace {

// SAX handler that stops as soon as the top-level "model" string is read, so
// nothing is built in memory and truncated input after it does not matter.
struct ModelFinder : nlohmann::json_sax<nlohmann::json> {
  int depth = 0;
  bool want = false;
  std::string model;

  bool value(bool top_level_string, const string_t* s = nullptr) {
    if (want && top_level_string && s) {
      model = *s;
      return false;  // found: stop parsing
    }
    want = false;
    return true;
  }
  bool null() override { return value(false); }
  bool boolean(bool) override { return value(false); }
  bool number_integer(number_integer_t) override { return value(false); }
  bool number_unsigned(number_unsigned_t) override { return value(false); }
  bool number_float(number_float_t, const string_t&) override { return value(false); }
  bool string(string_t& s) override { return value(depth == 1, &s); }
  bool binary(binary_t&) override { return value(false); }
  bool start_object(std::size_t) override {
    want = false;
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    want = depth == 1 && k == "model";
    return true;
  }
  bool end_object() override {
    --depth;
    return depth > 0;  // the top-level object ended: nothing more to find
  }
  bool start_array(std::size_t) override {
    want = false;
    ++depth;
    return true;
  }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

}  // namespace

std::string request_model(std::string_view body_prefix) {
  ModelFinder finder;
  nlohmann::json::sax_parse(body_prefix.begin(), body_prefix.end(), &finder, nlohmann::json::input_format_t::json,
                            false);
  return finder.model;
}

}  // namespace stackd::exporter
