#include "api/v1alpha1/interpolate.hpp"

#include "api/v1alpha1/field_syntax.hpp"

#include <cctype>
#include <cstdlib>

namespace stackd::manifest {

namespace {

// U+E000 and U+E001 (private use): never in a manifest, valid in any YAML
// plain or quoted scalar, and not a YAML indicator.
constexpr std::string_view kOpen = "\xEE\x80\x80";
constexpr std::string_view kClose = "\xEE\x80\x81";

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char n : name)
    if (!std::isalnum(static_cast<unsigned char>(n)) && n != '_') return false;
  return true;
}

std::string evaluate(const MaskedVariable& v, const EnvLookup& env, const std::string& file, Diagnostics& diags) {
  if (!v.terminated) {
    diags.add(file, v.line, v.col, "unterminated ${...} (write $$ for a literal '$')");
    return "${";
  }
  const std::string& expr = v.expression;
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
  if (!valid_name(name)) {
    diags.add(file, v.line, v.col, "invalid variable name in ${" + shown(expr) + "}");
    return "";
  }
  auto value = env(name);
  if (value && (!empty_counts_as_unset || !value->empty())) return *value;
  if (fallback) return *fallback;
  diags.add(file, v.line, v.col, "environment variable " + name + " is not set (use ${" + name + ":-default})");
  return "";
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

MaskedText mask_variables(const std::string& text, const std::string& file, Diagnostics& diags) {
  MaskedText out;
  out.text.reserve(text.size());
  int line = 1, col = 1;
  bool reported_reserved = false;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (!reported_reserved && text.compare(i, kOpen.size(), kOpen) == 0) {
      diags.add(file, line, col, "the character U+E000 is reserved by stackd");
      reported_reserved = true;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      out.text += "$$";  // stays an escape until expansion, so "$${X}" is not a variable
      i += 2;
      col += 2;
      continue;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      auto close = text.find('}', i + 2);
      auto newline = text.find('\n', i + 2);
      bool terminated = close != std::string::npos && (newline == std::string::npos || close < newline);
      MaskedVariable v;
      v.terminated = terminated;
      v.line = line;
      v.col = col;
      std::size_t consumed = 2;
      if (terminated) {
        v.expression = text.substr(i + 2, close - i - 2);
        consumed = close + 1 - i;
      }
      out.text += kOpen;
      out.text += std::to_string(out.variables.size());
      out.text += kClose;
      out.variables.push_back(std::move(v));
      i += consumed;
      col += static_cast<int>(consumed);
      continue;
    }
    out.text.push_back(c);
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

bool contains_variable(std::string_view value) { return value.find(kOpen) != std::string_view::npos; }

bool needs_expansion(std::string_view value) {
  return value.find(kOpen) != std::string_view::npos || value.find("$$") != std::string_view::npos;
}

std::string expand_scalar(std::string_view value, const MaskedText& masked, const EnvLookup& env,
                          const std::string& file, Diagnostics& diags) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size();) {
    if (value.compare(i, 2, "$$") == 0) {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (value.compare(i, kOpen.size(), kOpen) == 0) {
      auto end = value.find(kClose, i + kOpen.size());
      std::size_t index = 0;
      bool ok = end != std::string_view::npos && end > i + kOpen.size() && end - i - kOpen.size() <= 9;
      for (std::size_t k = i + kOpen.size(); ok && k < end; ++k) {
        if (!std::isdigit(static_cast<unsigned char>(value[k]))) ok = false;
        else index = index * 10 + static_cast<std::size_t>(value[k] - '0');
      }
      if (ok && index < masked.variables.size()) {
        out += evaluate(masked.variables[index], env, file, diags);
        i = end + kClose.size();
        continue;
      }
    }
    out.push_back(value[i]);
    ++i;
  }
  return out;
}

std::string interpolate(const std::string& text, const std::string& file, const EnvLookup& env, Diagnostics& diags) {
  auto masked = mask_variables(text, file, diags);
  return expand_scalar(masked.text, masked, env, file, diags);
}

}  // namespace stackd::manifest
