// The rotate seam in swarmpki-serve (rotate_seam.hpp): this binary asks the engine itself.
#include "rotate_seam.hpp"

namespace swarmpki::cli {

void hand_rotate_to_helper(const Args& /*args*/) {}

}  // namespace swarmpki::cli
