// The configured cert-expiry as inspect's and expiry's JSON and text write it, once for both:
// `"cert_expiry": {"seconds": N | null, "source": "engine" | "flag" | null}` and one text line.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error "pki/render/cert_expiry_render.hpp is render layer (4)"
#endif

#include "swarmpki/cert_expiry.hpp"
#include "swarmpki/json_writer.hpp"

#include <string>

namespace swarmpki::render_detail {

void write_cert_expiry_member(JsonWriter& w, const ConfiguredCertExpiry& setting);
// "cert-expiry: 2160h, from the engine at unix:///var/run/docker.sock\n", or "cert-expiry: not
// known (...)\n".
std::string cert_expiry_line(const ConfiguredCertExpiry& setting);

}  // namespace swarmpki::render_detail
