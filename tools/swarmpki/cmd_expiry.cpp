// Placeholder until the expiry command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_expiry(const Args& /*args*/) { throw UsageError("the expiry command is not built yet"); }

}  // namespace swarmpki::cli
