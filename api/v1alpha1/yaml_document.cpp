#include "api/v1alpha1/yaml_document.hpp"

#include "api/v1alpha1/field_syntax.hpp"
#include "api/v1alpha1/yaml_syntax.hpp"

#include <set>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <vector>

namespace stackd::manifest {

namespace {

// Thrown from the event handler to stop yaml-cpp before it goes deeper.
struct StopParsing {};

bool known_tag(const std::string& tag) {
  static const std::set<std::string> core = {"",
                                             "?",
                                             "!",
                                             "tag:yaml.org,2002:str",
                                             "tag:yaml.org,2002:int",
                                             "tag:yaml.org,2002:bool",
                                             "tag:yaml.org,2002:float",
                                             "tag:yaml.org,2002:null",
                                             "tag:yaml.org,2002:map",
                                             "tag:yaml.org,2002:seq"};
  return core.count(tag) > 0;
}

class StructureChecker : public YAML::EventHandler {
 public:
  static constexpr int kMaxErrors = 20;

  StructureChecker(const std::string& text, const std::string& file, const YamlLimits& limits, Diagnostics& diags)
      : text_(text), file_(file), limits_(limits), diags_(diags) {}

  bool ok() const { return errors_ == 0; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      error(mark, "a second YAML document ('---'): stackd reads exactly one document per file");
      throw StopParsing{};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, ""); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!limits_.allow_aliases) error(mark, "YAML aliases (*name) are not supported here; write the value out");
    leaf(mark, "");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t, const std::string& value) override {
    check_tag(mark, tag);
    // yaml-cpp takes a quote left open to the end of the file as the value.
    if (tag == "!" && !mark.is_null()) {
      if (auto open = unclosed_quote(text_, static_cast<std::size_t>(mark.pos)); !open.message.empty()) {
        diags_.add_syntax_error(file_, text_, open.line, open.col, open.message);
        throw StopParsing{};
      }
    }
    if (value.size() > limits_.max_scalar_bytes) {
      error(mark, "value of " + std::to_string(value.size()) + " bytes is longer than the limit of " +
                      std::to_string(limits_.max_scalar_bytes));
    } else if (value.find('\0') != std::string::npos) {
      error(mark, "value contains a NUL character");
    }
    leaf(mark, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, tag, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, tag, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool is_map;
    bool expecting_key = true;
    std::set<std::string> keys;
  };

  void error(const YAML::Mark& m, const std::string& message) {
    diags_.add(file_, m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1, message);
    // Enough to act on; a hostile file must not produce a message per byte.
    if (++errors_ >= kMaxErrors) {
      diags_.add(file_, m.is_null() ? 1 : m.line + 1, m.is_null() ? 1 : m.column + 1,
                 "too many problems; stopped reading this file");
      throw StopParsing{};
    }
  }

  void count(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes) {
      error(mark, "more than " + std::to_string(limits_.max_nodes) + " YAML nodes");
      throw StopParsing{};
    }
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    if (!known_tag(tag)) error(mark, "unsupported YAML tag '" + shown(tag) + "'");
  }

  // A scalar, null or alias: a key when the enclosing map expects one.
  void leaf(const YAML::Mark& mark, const std::string& value) {
    count(mark);
    if (stack_.empty() || !stack_.back().is_map) return;
    auto& f = stack_.back();
    if (f.expecting_key && !f.keys.insert(value).second)
      error(mark, "duplicate key '" + shown(value) + "' (YAML keys must be unique in a mapping)");
    f.expecting_key = !f.expecting_key;
  }

  void open(const YAML::Mark& mark, const std::string& tag, bool is_map) {
    count(mark);
    check_tag(mark, tag);
    if (!stack_.empty() && stack_.back().is_map) {
      auto& f = stack_.back();
      if (f.expecting_key) error(mark, "a mapping key must be a string, not a list or mapping");
      f.expecting_key = !f.expecting_key;
    }
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      error(mark, "YAML nested deeper than " + std::to_string(limits_.max_depth) + " levels");
      throw StopParsing{};
    }
    stack_.push_back(Frame{is_map});
  }

  void close() {
    if (!stack_.empty()) stack_.pop_back();
  }

  const std::string& text_;
  const std::string& file_;
  const YamlLimits& limits_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::size_t nodes_ = 0;
  int documents_ = 0;
  int errors_ = 0;
};

// A syntax error as a sentence, at the place to fix, with its line.
void add_yaml_error(const YAML::Exception& e, const std::string& text, const std::string& file, Diagnostics& diags) {
  auto problem = explain_yaml_error(text, e.mark.is_null() ? 1 : e.mark.line + 1, e.mark.is_null() ? 1 : e.mark.column + 1,
                                    e.msg);
  diags.add_syntax_error(file, text, problem.line, problem.col, problem.message);
}

}  // namespace

YamlLimits referenced_file_limits() {
  YamlLimits l;
  l.max_depth = 64;
  l.max_nodes = 1'000'000;
  l.max_scalar_bytes = 1024 * 1024;
  l.allow_aliases = true;  // stackd does not walk these trees beyond the top level
  return l;
}

std::optional<YAML::Node> parse_yaml_document(const std::string& text, const std::string& file, const YamlLimits& limits,
                                              Diagnostics& diags) {
  StructureChecker checker(text, file, limits, diags);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const StopParsing&) {
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    add_yaml_error(e, text, file, diags);
    return std::nullopt;
  }
  if (!checker.ok()) return std::nullopt;
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    add_yaml_error(e, text, file, diags);
    return std::nullopt;
  }
}

}  // namespace stackd::manifest
