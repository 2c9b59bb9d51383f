// Compiled as the util layer (SWARMPKI_LAYER=1) by the ctest layering_wrong_way_include_fails:
// a util source that includes a render header must stop at that header's layer guard.
#include "swarmpki/prometheus.hpp"
