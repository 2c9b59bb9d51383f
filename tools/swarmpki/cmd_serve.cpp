// Placeholder until the serve command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_serve(const Args& /*args*/) { throw UsageError("the serve command is not built yet"); }

}  // namespace swarmpki::cli
