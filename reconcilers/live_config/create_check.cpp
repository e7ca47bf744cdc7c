#include "reconcilers/live_config/create_check.hpp"

#include <exception>

#include "reconcilers/live_config/image_check.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"

namespace stackd::live_config {

namespace net = boost::asio;

namespace {

// The member (relative to "/") the set's checker is pointed at: the last
// argument of its check command, run on the files where they are delivered.
std::string checked_member(const ReloadPolicy& policy, const desired::LiveFileSet& set) {
  auto argv = policy.check_command(set.dir);
  if (argv.empty() || argv.back().empty() || argv.back().front() != '/') return {};
  return argv.back().substr(1);
}

}  // namespace

std::vector<const desired::LiveFileSet*> sets_checked_before_create(const desired::DesiredState& desired,
                                                                  desired::ComponentKind component) {
  std::vector<const desired::LiveFileSet*> out;
  for (const auto& set : desired.live_files) {
    if (set.component != component) continue;
    const auto* policy = policy_for(set.kind);
    if (!policy) continue;
    const auto member = checked_member(*policy, set);
    if (!member.empty() && set.sources.contains(member)) out.push_back(&set);
  }
  return out;
}

std::vector<CheckedFile> user_files_of(const desired::LiveFileSet& set) {
  std::vector<CheckedFile> out;
  for (const auto& f : set.files) {
    auto source = set.sources.find(f.path);
    if (source == set.sources.end() || set.secret.contains(f.path)) continue;
    out.push_back(CheckedFile{"/" + f.path, source->second, f.content, {}});
  }
  return out;
}

std::string checker_summary_of(const desired::LiveFileSet& set, const std::string& checker_output) {
  const auto* policy = policy_for(set.kind);
  // What the checker says about no file it names belongs to the file it was pointed at.
  const auto main = policy ? set.sources.find(checked_member(*policy, set)) : set.sources.end();
  const std::string fallback = main != set.sources.end() ? main->second : set.generated_from;
  return checker_summary(checker_output, user_files_of(set), fallback);
}

std::string rejected_before_create(const desired::LiveFileSet& set, const std::string& image,
                                   const std::string& checker_output) {
  const auto* policy = policy_for(set.kind);
  const std::string checker = policy ? policy->checker : "its checker";
  const std::string component = policy ? policy->component : std::string(desired::to_string(set.kind));
  return checker_summary_of(set, checker_output) + "\n" + checker + " in " + image +
         " rejects the " + component + " configuration; its container was not created (fix the file and apply again)";
}

net::awaitable<std::optional<std::string>> check_before_create(docker::Api& docker,
                                                               const desired::DesiredState& desired,
                                                               const desired::ContainerSpec& spec,
                                                               std::function<void(const std::string&)> say) {
  for (const auto* set : sets_checked_before_create(desired, spec.component)) {
    const auto* policy = policy_for(set->kind);
    std::optional<std::string> unchecked;
    CheckVerdict verdict;
    try {
      verdict = co_await check_live_set_in_image(docker, desired.stack, spec.image, *set);
    } catch (const std::exception& e) {
      unchecked = e.what();
    }
    if (unchecked) {
      if (say)
        say("could not run " + policy->checker + " in " + spec.image + " (" + *unchecked + "); creating " + spec.name +
            " with its configuration unchecked");
      continue;
    }
    if (!verdict.passed) co_return rejected_before_create(*set, spec.image, verdict.output);
    if (say) say("checked the " + policy->component + " configuration with " + policy->checker + " in " + spec.image);
  }
  co_return std::nullopt;
}

}  // namespace stackd::live_config
