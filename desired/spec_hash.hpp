#pragma once
// A container's spec hash (label dev.stackd.spec-hash): sha256 of the
// canonical create document (stackd's bookkeeping labels aside) and of every
// file delivered before its first start. Equal hashes mean "nothing to
// recreate". The parts (image, command, env, ...) have digests of their own
// so a plan can say what changed.
#include "desired/desired_state.hpp"

namespace stackd::desired {

// Sets spec.spec_hash and spec.spec_parts and writes both, with the applied
// create document, into the create document's labels.
void seal_spec(ContainerSpec& spec);

}  // namespace stackd::desired
