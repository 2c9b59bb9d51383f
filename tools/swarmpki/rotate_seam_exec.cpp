// The rotate seam in `swarmpki` (rotate_seam.hpp): what asks the engine runs in swarmpki-serve.
#include "commands.hpp"
#include "rotate_seam.hpp"

namespace swarmpki::cli {

void hand_rotate_to_helper(const Args& args) { exec_helper("rotate", args); }

}  // namespace swarmpki::cli
