#include "reconcilers/live_config/create_check.hpp"

#include <exception>
#include <memory>

#include "reconcilers/live_config/image_check.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"
#include "reconcilers/live_config/scrape_config_position.hpp"

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
    if (set.component != component || !policy_for(set.kind)) continue;
    if (!user_files_of(set).empty()) out.push_back(&set);
  }
  return out;
}

std::vector<CheckedFile> user_files_of(const desired::LiveFileSet& set) {
  std::vector<CheckedFile> out;
  for (const auto& f : set.files) {
    if (set.secret.contains(f.path)) continue;
    if (auto source = set.sources.find(f.path); source != set.sources.end()) {
      out.push_back(CheckedFile{"/" + f.path, source->second, f.content, {}});
    } else if (const auto& extra = set.user_scrape_configs; extra && extra->member == f.path) {
      // Only the user's items of this generated file are theirs: a line
      // stackd wrote is told against the fallback (the manifest's section).
      CheckedFile file{"/" + f.path, extra->user_path, extra->user_text, {}};
      file.translate = [generated = std::make_shared<std::string>(f.content),
                        user = std::make_shared<std::string>(extra->user_text)](int line) {
        return user_scrape_position(*generated, *user, line);
      };
      out.push_back(std::move(file));
    }
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
