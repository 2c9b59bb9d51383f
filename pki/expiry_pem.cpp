// The scan's PEM fast path: certificate files exactly as the engine writes them, decoded in one
// pass (see decode_plain_certificates in expiry_cert_facts.hpp). Anything else goes to
// parse_pem, so what this accepts is a strict subset of what parse_pem accepts, with the same
// DER and line numbers.
#include "expiry_cert_facts.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace swarmpki::expiry_detail {

namespace {

constexpr std::string_view kBeginLine = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEndLine = "-----END CERTIFICATE-----";

// The standard alphabet's values; 0xff for everything else ('=' included: padding is handled
// at the end of a block, as base64_decode with Padding::required does).
constexpr std::array<std::uint8_t, 256> make_alphabet() {
    std::array<std::uint8_t, 256> table{};
    for (auto& v : table) v = 0xff;
    constexpr std::string_view chars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < chars.size(); ++i)
        table[static_cast<unsigned char>(chars[i])] = static_cast<std::uint8_t>(i);
    return table;
}
constexpr std::array<std::uint8_t, 256> kAlphabet = make_alphabet();

// Decodes one block's body: base64 lines each ending in LF, up to the END line. Accepts what
// parse_pem + base64_decode(Padding::required) accept for such a body: alphabet characters, at
// most two '=' at the very end, a total length that is a multiple of four, something decoded.
// The leftover bits of a padded quantum are ignored, as EVP_DecodeBlock ignores them. Writes
// through a pointer into `out`, sized for the whole body by the caller (a 64-character line is
// 48 bytes), four characters at a time: a byte-wise vector insert cost more than the rest.
class BodyDecoder {
public:
    explicit BodyDecoder(std::uint8_t* out) : begin_(out), out_(out) {}

    // One line without its LF; false if it is not plain base64.
    bool line(std::string_view text) {
        if (text.empty() || padding_ > 0) return false;  // nothing may follow the padding
        const auto* p = reinterpret_cast<const unsigned char*>(text.data());
        const unsigned char* end = p + text.size();
        if (count_ == 0) {  // whole quanta straight from the line
            for (; end - p >= 4; p += 4) {
                std::uint32_t a = kAlphabet[p[0]], b = kAlphabet[p[1]], c = kAlphabet[p[2]],
                              d = kAlphabet[p[3]];
                if ((a | b | c | d) & 0x80) break;  // 0xff: not the alphabet
                std::uint32_t q = a << 18 | b << 12 | c << 6 | d;
                out_[0] = static_cast<std::uint8_t>(q >> 16);
                out_[1] = static_cast<std::uint8_t>(q >> 8);
                out_[2] = static_cast<std::uint8_t>(q);
                out_ += 3;
            }
        }
        for (; p < end; ++p) {  // a quantum split across lines, padding, or a bad character
            std::uint8_t v = kAlphabet[*p];
            if (v == 0xff) {
                if (*p != '=' || !pad()) return false;
                continue;
            }
            if (padding_ > 0) return false;
            quantum_ = quantum_ << 6 | v;
            if (++count_ == 4) flush(3);
        }
        return true;
    }

    // The number of bytes decoded, or nullopt when the body is not valid.
    std::optional<std::size_t> finish() {
        if (padding_ > 0) {
            if (count_ + padding_ != 4) return std::nullopt;
            // "xx==" gives one byte, "xxx=" two.
            quantum_ <<= 6 * padding_;
            flush(3 - padding_);
        }
        if (count_ != 0 || out_ == begin_) return std::nullopt;
        return static_cast<std::size_t>(out_ - begin_);
    }

private:
    bool pad() {
        ++padding_;
        return padding_ <= 2 && count_ + padding_ <= 4 && count_ >= 2;
    }
    void flush(int bytes) {
        std::uint8_t b[3] = {static_cast<std::uint8_t>(quantum_ >> 16),
                             static_cast<std::uint8_t>(quantum_ >> 8),
                             static_cast<std::uint8_t>(quantum_)};
        for (int i = 0; i < bytes; ++i) *out_++ = b[i];
        quantum_ = 0;
        count_ = 0;
    }

    std::uint8_t* begin_;
    std::uint8_t* out_;
    std::uint32_t quantum_ = 0;
    int count_ = 0, padding_ = 0;
};

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
        // At most three bytes for every four characters up to the END line.
        std::size_t end = text.find(kEndLine, pos);
        if (end == std::string_view::npos) return false;
        block.der.resize((end - pos) / 4 * 3 + 3);
        BodyDecoder body(block.der.data());
        bool ended = false;
        while (next_line(line)) {
            if (line == kEndLine) {
                ended = true;
                break;
            }
            if (!body.line(line)) return false;
        }
        std::optional<std::size_t> size = body.finish();
        if (!ended || !size) return false;
        block.der.resize(*size);
        out.push_back(std::move(block));
    }
    return !out.empty();
}

}  // namespace swarmpki::expiry_detail
