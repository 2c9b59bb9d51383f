// Compiled as the util layer (SWARMPKI_LAYER=1) by the ctest layering_same_layer_include_compiles:
// the guard lets a layer include its own headers.
#include "swarmpki/json_writer.hpp"
#include "swarmpki/time.hpp"
