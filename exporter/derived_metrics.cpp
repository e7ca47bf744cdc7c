#include "exporter/derived_metrics.hpp"

#include <algorithm>

namespace stackd::exporter {

namespace {
double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }
}  // namespace

DerivedMetrics derive(const StreamStats& s, std::optional<std::uint64_t> context_length) {
  DerivedMetrics d;
  d.prompt_tokens = s.prompt_tokens;
  d.generated_tokens = s.generated_tokens;
  d.cached_prompt_tokens = s.cached_prompt_tokens;

  if (s.generated_tokens && s.eval_duration_ns && *s.generated_tokens > 0 && *s.eval_duration_ns > 0) {
    d.time_per_output_token = seconds(*s.eval_duration_ns) / static_cast<double>(*s.generated_tokens);
    d.generation_tokens_per_second = static_cast<double>(*s.generated_tokens) / seconds(*s.eval_duration_ns);
  }
  if (s.prompt_tokens && s.prompt_eval_duration_ns && *s.prompt_eval_duration_ns > 0) {
    // Net of the cached tokens where Ollama says how many; else the rate is
    // inflated on a cache hit (the cached tokens took no time).
    std::uint64_t evaluated = *s.prompt_tokens;
    if (s.cached_prompt_tokens) evaluated = *s.prompt_tokens > *s.cached_prompt_tokens ? *s.prompt_tokens - *s.cached_prompt_tokens : 0;
    if (evaluated > 0) d.prefill_tokens_per_second = static_cast<double>(evaluated) / seconds(*s.prompt_eval_duration_ns);
  }

  if (!s.invalid_metrics) {
    if (s.load_duration_ns) d.load = seconds(*s.load_duration_ns);
    // A generation's final chunk; load and unload answers carry no metrics.
    if (s.done && s.total_duration_ns) {
      // Absent fields are zero (Ollama omits them).
      const double total = seconds(*s.total_duration_ns);
      const double load = seconds(s.load_duration_ns.value_or(0));
      const double prefill = seconds(s.prompt_eval_duration_ns.value_or(0));
      const double decode = seconds(s.eval_duration_ns.value_or(0));
      d.load = load;
      d.prefill = prefill;
      d.decode = decode;
      d.queue_wait = std::max(0.0, total - load - prefill - decode);
    }
  }

  if (context_length && *context_length > 0 && (s.prompt_tokens || s.generated_tokens))
    d.context_fill = static_cast<double>(s.prompt_tokens.value_or(0) + s.generated_tokens.value_or(0)) /
                     static_cast<double>(*context_length);
  return d;
}

}  // namespace stackd::exporter
