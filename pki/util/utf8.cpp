#include "swarmpki/utf8.hpp"

namespace swarmpki {

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    // The second byte's range depends on the lead (RFC 3629 section 4): that is where overlong
    // forms (E0, F0), surrogates (ED) and values past U+10FFFF (F4) are excluded.
    unsigned char low = 0x80, high = 0xbf;
    std::size_t length = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
    return length;
}

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::size_t append_utf8_sequence(std::string& out, std::string_view text, std::size_t i) {
    std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
        out += kUtf8Replacement;
        return 1;
    }
    out.append(text, i, n);
    return n;
}

std::string to_valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) i += append_utf8_sequence(out, text, i);
    return out;
}

std::string to_one_line_utf8(std::string_view text, char control, char special, char special_as) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            i += append_utf8_sequence(out, text, i);
            continue;
        }
        if (special != '\0' && c == static_cast<unsigned char>(special)) out += special_as;
        else out += c < 0x20 || c == 0x7f ? control : static_cast<char>(c);
        ++i;
    }
    return out;
}

}  // namespace swarmpki
