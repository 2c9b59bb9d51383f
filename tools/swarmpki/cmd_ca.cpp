// Placeholder until the ca command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_ca(const Args& /*args*/) { throw UsageError("the ca command is not built yet"); }

}  // namespace swarmpki::cli
