#include "api/v1alpha1/interpolate.hpp"

#include <cctype>
#include <cstdlib>

namespace stackd::manifest {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string interpolate(const std::string& text, const std::string& file, const EnvLookup& env, Diagnostics& diags) {
  std::string out;
  out.reserve(text.size());
  int line = 1, col = 1;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      col += 2;
      continue;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      auto close = text.find('}', i + 2);
      auto newline = text.find('\n', i + 2);
      if (close == std::string::npos || (newline != std::string::npos && newline < close)) {
        diags.add(file, line, col, "unterminated ${...} (write $$ for a literal '$')");
        out.push_back(c);
        ++i;
        ++col;
        continue;
      }
      std::string expr = text.substr(i + 2, close - i - 2);
      std::string name = expr;
      std::optional<std::string> fallback;
      bool empty_counts_as_unset = false;
      if (auto p = expr.find(":-"); p != std::string::npos) {
        name = expr.substr(0, p);
        fallback = expr.substr(p + 2);
        empty_counts_as_unset = true;
      } else if (auto q = expr.find('-'); q != std::string::npos) {
        name = expr.substr(0, q);
        fallback = expr.substr(q + 1);
      }
      bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
      for (char n : name) valid = valid && (std::isalnum(static_cast<unsigned char>(n)) || n == '_');
      if (!valid) {
        diags.add(file, line, col, "invalid variable name in ${" + expr + "}");
      } else {
        auto value = env(name);
        if (value && (!empty_counts_as_unset || !value->empty())) out += *value;
        else if (fallback) out += *fallback;
        else diags.add(file, line, col, "environment variable " + name + " is not set (use ${" + name + ":-default})");
      }
      col += static_cast<int>(close + 1 - i);
      i = close + 1;
      continue;
    }
    out.push_back(c);
    ++i;
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return out;
}

}  // namespace stackd::manifest
