#include "controller/cli/converge.hpp"

namespace stackd::cli {

boost::asio::awaitable<ConvergeOutcome> converge(docker::Client& docker, const containers::DesiredState& desired,
                                                 const containers::ApplyOptions& options) {
  ConvergeOutcome out;
  out.plan = co_await containers::make_plan(docker, desired);
  out.result = co_await containers::apply_plan(docker, desired, out.plan, options);
  co_return out;
}

}  // namespace stackd::cli
