#include "cert_expiry_render.hpp"

#include "swarmpki/time.hpp"

#include <cstdint>

namespace swarmpki::render_detail {

void write_cert_expiry_member(JsonWriter& w, const ConfiguredCertExpiry& setting) {
    w.key("cert_expiry").begin_object();
    if (setting.seconds) w.member("seconds", static_cast<std::int64_t>(setting.seconds->count()));
    else w.null_member("seconds");
    if (setting.source) w.member("source", to_string(*setting.source));
    else w.null_member("source");
    w.end_object();
}

std::string cert_expiry_line(const ConfiguredCertExpiry& setting) {
    if (!setting.seconds)
        return "cert-expiry: not known" +
               (setting.origin.empty() ? "" : " (" + setting.origin + ")") + "\n";
    return "cert-expiry: " + format_duration(*setting.seconds) +
           (setting.origin.empty() ? "" : ", from " + setting.origin) + "\n";
}

}  // namespace swarmpki::render_detail
