#pragma once
// Whether a failed pass of a component's container left the previous
// container running the last good revision: a recreate the check before
// create refused (the old container was never touched), or one put back
// after the new container did not run. Then the failure is a refused edit,
// not an outage: the stack stays Ready on its last good revision
// (runtime::ReconcileError::keeps_last_good) and Degraded says why. A
// refused create or a failed start leaves nothing of the component running.
// Pure.
#include "reconcilers/containers/apply.hpp"

namespace stackd::containers {

bool previous_container_kept(const ComponentResult& result);

}  // namespace stackd::containers
