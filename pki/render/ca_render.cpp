// swarmpki.ca/v1 and the text form of `ca init|issue|cross-sign` (docs/ca.md): what was written
// and the certificate made. The key is never described beyond its type and public-key digest.
#include "swarmpki/ca_render.hpp"

#include "swarmpki/json_writer.hpp"

namespace swarmpki {

CaCertificateFacts ca_certificate_facts(const Certificate& c) {
    return {c.subject(),    c.issuer(),
            c.serial_hex(), c.not_before(),
            c.not_after(),  c.public_key_sha256(),
            c.key_type(),   c.signature_algorithm()};
}

std::string render_ca_json(const CaResult& result) {
    const CaCertificateFacts& c = result.certificate;
    JsonWriter json;
    json.begin_object().member("schema", kCaSchema).member("action", result.action);
    json.key("certificate")
        .begin_object()
        .member("subject", c.subject)
        .member("issuer", c.issuer)
        .member("serial", c.serial)
        .member("not_before", format_rfc3339(c.not_before))
        .member("not_after", format_rfc3339(c.not_after))
        .member("public_key_sha256", c.public_key_sha256)
        .member("key_type", c.key_type)
        .member("signature_algorithm", c.signature_algorithm)
        .end_object();
    json.member("files", result.files).end_object();
    return json.take() + "\n";
}

std::string render_ca_text(const CaResult& result) {
    const CaCertificateFacts& c = result.certificate;
    std::string text = result.action + ": " + c.subject + " (issuer " + c.issuer + ", serial " +
                       c.serial + ")\n  valid " + format_rfc3339(c.not_before) + " to " +
                       format_rfc3339(c.not_after) + "\n  key " + c.key_type + ", sha256 " +
                       c.public_key_sha256 + "\n";
    for (const std::string& f : result.files) text += "  wrote " + f + "\n";
    return text;
}

}  // namespace swarmpki
