// Placeholder until the token command lands; replaced by its implementation.
#include "commands.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

int run_token(const Args& /*args*/) { throw UsageError("the token command is not built yet"); }

}  // namespace swarmpki::cli
