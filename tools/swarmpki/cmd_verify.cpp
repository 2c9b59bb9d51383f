// Placeholder until the verify command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_verify(const Args& /*args*/) { throw UsageError("the verify command is not built yet"); }

}  // namespace swarmpki::cli
