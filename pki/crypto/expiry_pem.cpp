// The scan's PEM fast path: certificate files exactly as the engine writes them, decoded in one
// pass (see decode_plain_certificates in expiry_cert_facts.hpp). Anything else goes to
// parse_pem, so what this accepts is a strict subset of what parse_pem accepts, with the same
// DER and line numbers.
#include "expiry_cert_facts.hpp"

#include "swarmpki/encoding.hpp"

#include <optional>
#include <string>

namespace swarmpki::expiry_detail {

namespace {

constexpr std::string_view kBeginLine = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEndLine = "-----END CERTIFICATE-----";

}  // namespace

bool decode_plain_certificates(std::string_view text, std::vector<CertificateBlock>& out) {
    out.clear();
    std::size_t pos = 0, line_number = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();  // a last line without LF
        line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_number;
        return true;
    };
    std::string_view line;
    while (next_line(line)) {
        if (line != kBeginLine) return false;
        CertificateBlock block;
        block.line = line_number;
        // The body's lines joined without their LFs, then decoded by the core (EVP_DecodeBlock
        // under the same strict rules parse_pem applies: alphabet only, padding only at the end).
        std::size_t end = text.find(kEndLine, pos);
        if (end == std::string_view::npos) return false;
        std::string body;
        body.reserve(end - pos);
        bool ended = false;
        while (next_line(line)) {
            if (line == kEndLine) {
                ended = true;
                break;
            }
            if (line.empty()) return false;  // parse_pem's business
            body.append(line);
        }
        if (!ended) return false;
        std::optional<Bytes> der = base64_decode(body, Padding::required);
        if (!der || der->empty()) return false;
        block.der = std::move(*der);
        out.push_back(std::move(block));
    }
    return !out.empty();
}

}  // namespace swarmpki::expiry_detail
