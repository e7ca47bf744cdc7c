#include "clients/docker/event_decoder.hpp"

#include <limits>

#include "common/bounded_json.hpp"

namespace stackd::docker {

namespace {

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

std::optional<Event> decode_event(std::string_view line) {
  auto j = parse_json_or_discarded(line);
  if (!j.is_object()) return std::nullopt;
  Event e;
  e.type = string_field(j, "Type");
  e.action = string_field(j, "Action");
  if (auto actor = j.find("Actor"); actor != j.end() && actor->is_object()) {
    e.id = string_field(*actor, "ID");
    if (auto attrs = actor->find("Attributes"); attrs != actor->end() && attrs->is_object())
      for (auto& [k, v] : attrs->items())
        if (v.is_string()) e.attributes[k] = v.get<std::string>();
  }
  // Only integers: converting a float or an unsigned beyond int64 would be
  // undefined behaviour.
  if (auto t = j.find("timeNano"); t != j.end()) {
    if (t->is_number_unsigned()) {
      auto u = t->get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) e.time_nano = static_cast<std::int64_t>(u);
    } else if (t->is_number_integer()) {
      e.time_nano = t->get<std::int64_t>();
    }
  }
  return e;
}

bool EventStreamDecoder::feed(std::string_view piece, const std::function<bool(const Event&)>& on_event) {
  return lines_.feed(piece, [&](std::string_view line) {
    auto e = decode_event(line);
    return !e || on_event(*e);
  });
}

}  // namespace stackd::docker
