// The rotate seam in `swarmpki` (rotate_seam.hpp): what asks the engine runs in swarmpki-serve.
#include "commands.hpp"
#include "rotate_seam.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

void hand_rotate_to_helper(const Args& args) { exec_helper("rotate", args); }

// Reached only when --engine or --host was abbreviated: the seam hands over exact spellings.
RotationReport simulate_on_engine(const po::variables_map& /*vm*/, RotationOptions /*options*/) {
    throw Error("rotate simulate", "an abbreviated --engine or --host is not handed to the engine",
                "spell --engine or --host in full");
}

ExitCode run_rotate_status(const po::variables_map& /*vm*/) {
    throw Error("rotate status", "runs in swarmpki-serve, which asks the engine",
                "run it as `swarmpki rotate status`");
}

}  // namespace swarmpki::cli
