// Placeholder until the inspect command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_inspect(const Args& /*args*/) { throw UsageError("the inspect command is not built yet"); }

}  // namespace swarmpki::cli
