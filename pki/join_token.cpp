// Join tokens: strict parsing, the engine's encoding, and the root pin check.
//
// The engine's own parser (swarmkit ca/config.go ParseJoinToken) checks only the shape: it ignores
// invalid digest characters, accepts upper case, and never looks at the secret's characters. We
// refuse all of that up front with a reason naming the part and the rule, because each of those
// tokens fails later anyway, after a 10-second retry loop and with a misleading message.
// No message ever contains the secret part, or any part that might be the secret.
#include "swarmpki/join_token.hpp"

#include "swarmpki/base36.hpp"

#include <array>
#include <string>

namespace swarmpki {

namespace {

constexpr std::string_view kPrefix = "SWMTKN";
constexpr std::size_t kDigestChars = 50;
constexpr std::size_t kSecretChars = 25;
constexpr std::size_t kMaxParts = 6;  // one more than the most a token has, to count "too many"

std::string str(std::size_t n) { return std::to_string(n); }

// A dash that looks like '-' but is not: what word processors and chat clients turn it into.
const char* unicode_dash_name(std::string_view rest) {
    struct Dash {
        std::string_view utf8;
        const char* name;
    };
    static constexpr std::array<Dash, 10> kDashes = {{
        {"\xE2\x80\x90", "U+2010 HYPHEN"},
        {"\xE2\x80\x91", "U+2011 NON-BREAKING HYPHEN"},
        {"\xE2\x80\x92", "U+2012 FIGURE DASH"},
        {"\xE2\x80\x93", "U+2013 EN DASH"},
        {"\xE2\x80\x94", "U+2014 EM DASH"},
        {"\xE2\x80\x95", "U+2015 HORIZONTAL BAR"},
        {"\xE2\x88\x92", "U+2212 MINUS SIGN"},
        {"\xEF\xB9\xA3", "U+FE63 SMALL HYPHEN-MINUS"},
        {"\xEF\xBC\x8D", "U+FF0D FULLWIDTH HYPHEN-MINUS"},
        {"\xC2\xAD", "U+00AD SOFT HYPHEN"},
    }};
    for (const Dash& d : kDashes)
        if (rest.substr(0, d.utf8.size()) == d.utf8) return d.name;
    return nullptr;
}

// 1-based character position of byte `index`, counting UTF-8 sequences as one character.
std::size_t character_position(std::string_view text, std::size_t index) {
    std::size_t position = 0;
    for (std::size_t i = 0; i <= index && i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
    return position;
}

// Only bytes that may appear in a token: printable ASCII other than space.
bool check_characters(std::string_view text, std::string& error) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c > 0x20 && c < 0x7F) continue;
        std::string where = "token: character " + str(character_position(text, i));
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            error = where + " is whitespace; a join token has none inside (copy it as one word)";
        else if (c < 0x20 || c == 0x7F)
            error = where + " is a control character (" + (c == 0 ? std::string("NUL") : "0x" + hex_encode(&c, 1)) +
                    "); a join token is printable ASCII only";
        else if (const char* dash = unicode_dash_name(text.substr(i)))
            error = where + " is " + dash + ", not the ASCII hyphen-minus '-' that separates the "
                    "parts (an editor or chat client replaced it; type the dashes again)";
        else
            error = where + " is not ASCII (byte 0x" + hex_encode(&c, 1) +
                    "); a join token is printable ASCII only";
        return false;
    }
    return true;
}

// Splits on '-' into at most kMaxParts views; returns the real number of parts.
std::size_t split_parts(std::string_view text, std::array<std::string_view, kMaxParts>& parts) {
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
        std::size_t dash = text.find('-', start);
        std::string_view part = text.substr(start, dash == std::string_view::npos ? dash : dash - start);
        if (count < kMaxParts) parts[count] = part;
        ++count;
        if (dash == std::string_view::npos) return count;
        start = dash + 1;
    }
}

// Checks length, alphabet and range of a base-36 part; `secret` keeps its characters out of the
// message.
bool decode_part(std::string_view name, std::string_view part, std::size_t chars,
                 std::uint8_t* out, std::size_t bytes, bool secret, std::string& error) {
    if (part.size() != chars) {
        error = std::string(name) + ": " + str(part.size()) + " characters, expected exactly " +
                str(chars);
        return false;
    }
    std::size_t bad = 0;
    switch (base36_decode(part, out, bytes, &bad)) {
        case Base36Decode::ok: return true;
        case Base36Decode::bad_digit: {
            char c = part[bad];
            std::string what = std::string(name) + ": character " + str(bad + 1);
            if (!secret) what += std::string(" ('") + c + "')";
            if (c >= 'A' && c <= 'Z')
                error = what + " is upper case; tokens are lower-case base 36 [0-9a-z] (the "
                        "manager compares tokens byte for byte and would refuse it)";
            else
                error = what + " is not a base-36 digit [0-9a-z]";
            return false;
        }
        case Base36Decode::overflow:
            error = std::string(name) + ": value is 2^" + str(bytes * 8) + " or more, too large for " +
                    str(bytes) + " bytes" +
                    (secret ? std::string() : std::string(" (the engine says 'invalid checksum digest length')"));
            return false;
    }
    return false;
}

}  // namespace

bool parse_join_token_into(std::string_view text, JoinToken& out, std::string& error) {
    if (text.empty()) {
        error = "token: empty; expected SWMTKN-1-<digest>-<secret>";
        return false;
    }
    if (text.size() > kMaxJoinTokenLength) {
        error = "token: " + str(text.size()) + " bytes, over the " + str(kMaxJoinTokenLength) +
                "-byte limit (a join token is 85 characters: SWMTKN-1-<digest>-<secret>)";
        return false;
    }
    if (!check_characters(text, error)) return false;

    std::array<std::string_view, kMaxParts> parts;
    std::size_t count = split_parts(text, parts);
    if (parts[0] != kPrefix) {
        if (parts[0].size() == kPrefix.size() && count > 1 &&
            (parts[0] == "swmtkn" || parts[0] == "Swmtkn"))
            error = "prefix: must be upper-case 'SWMTKN'";
        else
            error = "prefix: the token must start with 'SWMTKN-' (a join token looks like "
                    "SWMTKN-1-<digest>-<secret>)";
        return false;
    }
    if (count < 2) {
        error = "token: no version after 'SWMTKN'; expected SWMTKN-1-<digest>-<secret>";
        return false;
    }
    std::size_t first = 2;  // index of the digest part
    if (parts[1] == "1") {
        out.version = 1;
        out.fips = false;
        if (count != 4) {
            error = "token: version 1 has 4 parts separated by '-' (SWMTKN-1-<digest>-<secret>), "
                    "this has " + str(count);
            return false;
        }
    } else if (parts[1] == "2") {
        out.version = 2;
        if (count != 5) {
            error = "token: version 2 has 5 parts separated by '-' (SWMTKN-2-<0|1>-<digest>-<secret>), "
                    "this has " + str(count);
            return false;
        }
        if (parts[2] != "0" && parts[2] != "1") {
            error = "fips flag: must be '0' or '1' in SWMTKN-2-<0|1>-<digest>-<secret>";
            return false;
        }
        out.fips = parts[2] == "1";
        first = 3;
    } else {
        std::string_view v = parts[1];
        bool short_number = !v.empty() && v.size() <= 3 &&
                            v.find_first_not_of("0123456789") == std::string_view::npos;
        error = "version: " + (short_number ? "'" + std::string(v) + "' is" : std::string("this is")) +
                " not a join token version; expected 1, or 2 for the FIPS form";
        return false;
    }
    if (!decode_part("digest", parts[first], kDigestChars, out.digest.data(), out.digest.size(),
                     false, error))
        return false;
    if (!decode_part("secret", parts[first + 1], kSecretChars, out.secret.data(), out.secret.size(),
                     true, error))
        return false;
    out.digest_base36.assign(parts[first]);
    out.secret_base36.assign(parts[first + 1]);
    return true;
}

JoinTokenParse parse_join_token(std::string_view text) {
    JoinTokenParse result;
    JoinToken token;
    if (parse_join_token_into(text, token, result.error)) result.token = std::move(token);
    return result;
}

std::string JoinToken::to_string() const {
    std::string text = version == 2 ? (fips ? "SWMTKN-2-1-" : "SWMTKN-2-0-") : "SWMTKN-1-";
    text += digest_base36.empty() ? digest_to_base36(digest) : digest_base36;
    text += '-';
    text += secret_base36.empty() ? secret_to_base36(secret) : secret_base36;
    return text;
}

std::string digest_to_base36(const Sha256& digest) {
    std::string text(kDigestChars, '0');
    base36_encode(digest.data(), digest.size(), text.data(), text.size());  // 36^50 > 2^256
    return text;
}

std::string secret_to_base36(const std::array<std::uint8_t, 16>& secret) {
    std::string text(kSecretChars, '0');
    base36_encode(secret.data(), secret.size(), text.data(), text.size());  // 36^25 > 2^128
    return text;
}

JoinToken generate_join_token(std::string_view root_bundle_bytes, bool fips) {
    JoinToken token;
    token.version = fips ? 2 : 1;
    token.fips = fips;
    token.digest = sha256(root_bundle_bytes);
    token.digest_base36 = digest_to_base36(token.digest);
    random_bytes(token.secret.data(), token.secret.size());
    token.secret_base36 = secret_to_base36(token.secret);
    return token;
}

bool token_pins_root(const JoinToken& token, std::string_view root_bundle_bytes) {
    Sha256 actual = sha256(root_bundle_bytes);
    return constant_time_equal(actual.data(), token.digest.data(), actual.size());
}

}  // namespace swarmpki
