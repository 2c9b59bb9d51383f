// Placeholder until the rotate command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_rotate(const Args& /*args*/) { throw UsageError("the rotate command is not built yet"); }

}  // namespace swarmpki::cli
