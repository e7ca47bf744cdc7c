#include "reconcilers/containers/previous_kept.hpp"

namespace stackd::containers {

bool previous_container_kept(const ComponentResult& result) {
  if (result.rolled_back) return true;
  return result.action == runtime::Action::Recreate && result.config_rejected;
}

}  // namespace stackd::containers
