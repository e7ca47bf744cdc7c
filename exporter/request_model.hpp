#pragma once
// Finds the top-level "model" of an Ollama/OpenAI request body. Works on a
// bounded prefix of the body (a request may carry megabytes of base64
// images after the model field), so a truncated document is fine as long as
// the model came first.
#include <string>
#include <string_view>

namespace stackd::exporter {

// Empty when absent, not a string, or not within `body_prefix`.
std::string request_model(std::string_view body_prefix);

}  // namespace stackd::exporter
