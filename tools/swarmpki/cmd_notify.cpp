// Placeholder until the notify command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_notify(const Args& /*args*/) { throw UsageError("the notify command is not built yet"); }

}  // namespace swarmpki::cli
