// The text of a Nagios plugin line, shared by `expiry --format nagios` (nagios.cpp) and
// `cluster --format nagios` (cluster_nagios.cpp).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "pki/render/nagios_text.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include <string>
#include <string_view>

namespace swarmpki {

// Plugin output is one line whose first '|' starts the perfdata: a '|', a control character
// or invalid UTF-8 from the data (a cluster ID is the O of a certificate anyone can write, a
// hostname is what a node says of itself) would cut the line short or make the monitoring
// system drop it. '|' becomes '/', controls a space, invalid UTF-8 U+FFFD.
std::string plugin_text(std::string_view text);

}  // namespace swarmpki
