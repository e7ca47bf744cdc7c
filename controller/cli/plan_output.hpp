#pragma once
// How `stackd diff` shows a plan: text for people (changes, then those made
// outside stackd, then the summary line) and JSON for machines
// ({"revision", "summary", "changes": [...]}). Pure.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "runtime/plan.hpp"

namespace stackd::cli {

// With `verbose`, a dashboard's whole JSON diff too.
std::string plan_text(const std::vector<runtime::Change>& changes, bool verbose);
nlohmann::json plan_json(const std::vector<runtime::Change>& changes, const std::string& revision, bool verbose);

}  // namespace stackd::cli
