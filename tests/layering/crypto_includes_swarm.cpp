// Compiled as the crypto layer (SWARMPKI_LAYER=2) by the ctest layering_crypto_may_not_see_swarm:
// the CA engine or a certificate parser reaching for a node directory must not compile.
#include "swarmpki/node_directory.hpp"
