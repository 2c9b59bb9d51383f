// Renderings of what `ca init|issue|cross-sign` made (swarmpki.ca/v1, docs/ca.md): the files
// written and the certificate's public facts. Never key material.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/ca_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/time.hpp"

#include <string>
#include <vector>

namespace swarmpki {

inline constexpr const char* kCaSchema = "swarmpki.ca/v1";

// The public facts of a certificate the CA made, as the documents show them.
struct CaCertificateFacts {
    std::string subject, issuer, serial;  // RFC 2253 names; serial lowercase hex
    Instant not_before{}, not_after{};
    std::string public_key_sha256, key_type, signature_algorithm;
};
CaCertificateFacts ca_certificate_facts(const Certificate& certificate);

struct CaResult {
    std::string action;  // init, issue, cross-sign
    CaCertificateFacts certificate;
    std::vector<std::string> files;  // written, in order
};

std::string render_ca_json(const CaResult& result);
std::string render_ca_text(const CaResult& result);

}  // namespace swarmpki
