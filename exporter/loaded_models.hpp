#pragma once
// What the poller of /api/ps knows about the models Ollama has loaded, kept
// between polls: their context length (for ollama_context_fill_ratio, kept
// after a model unloads: a request may end after its model did) and what the
// previous answer listed (to count loads). As bounded as the model label.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace stackd::exporter {

class LoadedModels {
 public:
  struct Runner {
    double size = 0;
    double context_length = 0;
    bool operator==(const Runner&) const = default;
  };

  std::optional<std::uint64_t> context_length(std::string_view model) const {
    auto it = context_.find(model);
    if (it == context_.end()) return std::nullopt;
    return it->second;
  }

  // Takes the models of one /api/ps answer (by model label). Calls
  // `loaded(model)` for each that is new or changed since the previous answer;
  // the first answer only sets the baseline (models loaded before the exporter
  // started are not counted as loads).
  void update(const std::map<std::string, Runner, std::less<>>& now, const std::function<void(const std::string&)>& loaded) {
    for (const auto& [model, r] : now) {
      if (r.context_length > 0) context_[model] = static_cast<std::uint64_t>(r.context_length);
      auto before = previous_.find(model);
      if (seen_ && (before == previous_.end() || !(before->second == r))) loaded(model);
    }
    previous_ = now;
    seen_ = true;
  }

 private:
  std::map<std::string, std::uint64_t, std::less<>> context_;
  std::map<std::string, Runner, std::less<>> previous_;
  bool seen_ = false;
};

}  // namespace stackd::exporter
