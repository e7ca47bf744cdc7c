#pragma once
// The files the user wrote that a component loads (a raw
// spec.alertmanager.configFile; Prometheus's rule files and the
// extraScrapeConfigs stackd puts into prometheus.yml) judged by the checker
// in the component's own image before a fresh container of it is created: a
// config the component would refuse to load never reaches a new container,
// which would only crash-loop. The reloads of a running container are checked
// by the live_config reconciler; this covers the first create and every
// recreate. A set with nothing of the user's in it (a generated
// alertmanager.yml, a prometheus.yml without rules or extra scrape configs)
// is stackd's own, checked when it renders.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clients/docker/docker_api.hpp"
#include "desired/desired_state.hpp"
#include "reconcilers/live_config/checker_output.hpp"

namespace stackd::live_config {

// The live sets of `component` checked before its container is created:
// those with a checker that hold a file (or items) the user wrote, secrets
// aside (user_files_of is not empty). Pure.
std::vector<const desired::LiveFileSet*> sets_checked_before_create(const desired::DesiredState& desired,
                                                                  desired::ComponentKind component);

// The user's files of `set` as the checker in the container names them
// (the generated file holding their scrape configs with the translation of
// its lines to theirs). Pure.
std::vector<CheckedFile> user_files_of(const desired::LiveFileSet& set);

// What `set`'s checker said (naming the files where they are delivered),
// told in the user's files: checker_summary of the set's user files, a
// problem in no file it knows put at the file the checker was pointed at.
// Pure.
std::string checker_summary_of(const desired::LiveFileSet& set, const std::string& checker_output);

// The line for people when the checker in `image` rejects `set`, its
// problems at file:line:col of the user's files. Pure.
std::string rejected_before_create(const desired::LiveFileSet& set, const std::string& image,
                                   const std::string& checker_output);

// Runs the checks of sets_checked_before_create in `spec.image` (which must
// be present): nullopt when every one passes, else rejected_before_create's
// line. A check that cannot run (a custom image without the checker) is
// told to `say` and does not stop the create: the container's start is
// still watched.
boost::asio::awaitable<std::optional<std::string>> check_before_create(
    docker::Api& docker, const desired::DesiredState& desired, const desired::ContainerSpec& spec,
    std::function<void(const std::string&)> say);

}  // namespace stackd::live_config
