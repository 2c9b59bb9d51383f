// Join tokens: strict parsing, the engine's encoding, and the root pin check.
//
// The engine's own parser (swarmkit ca/config.go ParseJoinToken) checks only the shape: it ignores
// invalid digest characters, accepts upper case, and never looks at the secret's characters. We
// refuse all of that up front with a reason naming the part and the rule, because each of those
// tokens fails later anyway, after a 10-second retry loop and with a misleading message.
// No message ever contains the secret part, or any part that might be the secret.
#include "swarmpki/join_token.hpp"

#include "swarmpki/base36.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/pem.hpp"

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
constexpr int kFirstTokenByte = 0x21;
constexpr int kLastTokenByte = 0x7E;

bool all_token_characters(std::string_view text) {
    // Branch-free and OR-reduced, so the compiler checks sixteen bytes at a time (this runs on
    // every token): a difference is negative exactly when the byte is outside the range.
    int outside = 0;
    for (char ch : text) {
        int c = static_cast<unsigned char>(ch);
        outside |= (c - kFirstTokenByte) | (kLastTokenByte - c);
    }
    return outside >= 0;
}

bool check_characters(std::string_view text, std::string& error) {
    if (all_token_characters(text)) return true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= kFirstTokenByte && c <= kLastTokenByte) continue;
        std::string where = "token: character " + str(character_position(text, i));
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            error = where + " is whitespace; a join token has none inside (copy it as one word)";
        else if (c < 0x20 || c == 0x7F)
            error = where + " is a control character (" +
                    (c == 0 ? std::string("NUL") : "0x" + hex_encode(&c, 1)) +
                    "); a join token is printable ASCII only";
        else if (const char* dash = unicode_dash_name(text.substr(i)))
            error = where + " is " + dash +
                    ", not the ASCII hyphen-minus '-' that separates the "
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
        std::string_view part = text.substr(start,
                                            dash == std::string_view::npos ? dash : dash - start);
        if (count < kMaxParts) parts[count] = part;
        ++count;
        if (dash == std::string_view::npos) return count;
        start = dash + 1;
    }
}

// Checks length, alphabet and range of a base-36 part; `secret` keeps its characters out of the
// message.
bool decode_part(std::string_view name, std::string_view part, std::size_t chars, std::uint8_t* out,
                 std::size_t bytes, bool secret, std::string& error) {
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
            else error = what + " is not a base-36 digit [0-9a-z]";
            return false;
        }
        case Base36Decode::overflow:
            error = std::string(name) + ": value is 2^" + str(bytes * 8) +
                    " or more, too large for " + str(bytes) + " bytes" +
                    (secret ? std::string()
                            : std::string(" (the engine says 'invalid checksum digest length')"));
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
                    "this has " +
                    str(count);
            return false;
        }
    } else if (parts[1] == "2") {
        out.version = 2;
        if (count != 5) {
            error =
                "token: version 2 has 5 parts separated by '-' (SWMTKN-2-<0|1>-<digest>-<secret>), "
                "this has " +
                str(count);
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
        error = "version: " +
                (short_number ? "'" + std::string(v) + "' is" : std::string("this is")) +
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

JoinToken::~JoinToken() {
    secure_wipe(secret.data(), secret.size());
    secure_wipe(secret_base36.data(), secret_base36.size());
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

// ---- token verify: what would have matched -------------------------------------------------

namespace swarmpki {

namespace {

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    std::size_t start = 0;
    for (std::size_t at; (at = text.find(from, start)) != std::string_view::npos;
         start = at + from.size()) {
        out.append(text, start, at - start);
        out.append(to);
    }
    out.append(text, start);
    return out;
}

std::string without_trailing_newlines(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    return std::string(text);
}

class VariantList {
public:
    VariantList(const JoinToken& token, std::string_view original)
        : token_(token), original_(original) {}

    // Skips a variant whose bytes are the file itself: it cannot explain a mismatch.
    void add(std::string name, std::string description, std::string_view bytes) {
        if (bytes == original_) return;
        add_digest(std::move(name), std::move(description), sha256(bytes));
    }
    void add_digest(std::string name, std::string description, const Sha256& digest) {
        bool matches = constant_time_equal(digest.data(), token_.digest.data(), digest.size());
        variants_.push_back({std::move(name), std::move(description), digest, matches});
    }
    std::vector<RootFileVariant> take() { return std::move(variants_); }

private:
    const JoinToken& token_;
    std::string_view original_;
    std::vector<RootFileVariant> variants_;
};

void add_text_variants(VariantList& list, std::string_view bytes) {
    bool has_crlf = bytes.find("\r\n") != std::string_view::npos;
    if (has_crlf)
        list.add("lf-line-endings",
                 "this file with LF instead of CRLF line endings (it was converted after it left "
                 "the node, by a Windows editor or git autocrlf)",
                 replace_all(bytes, "\r\n", "\n"));
    else
        list.add("crlf-line-endings", "this file with CRLF instead of LF line endings",
                 replace_all(bytes, "\n", "\r\n"));
    std::string trimmed = without_trailing_newlines(bytes);
    std::string eol = has_crlf ? "\r\n" : "\n";
    if (bytes.empty() || bytes.back() != '\n')
        list.add("trailing-newline-added",
                 "this file with a trailing newline (it lost its final newline, as when copied "
                 "from a terminal; the engine hashes the newline too)",
                 trimmed + eol);
    else
        list.add("trailing-newline-removed",
                 "this file without its last line ending (an editor or a here-document added one)",
                 bytes.substr(0,
                              bytes.size() -
                                  (bytes.size() >= 2 && bytes[bytes.size() - 2] == '\r' ? 2 : 1)));
}

void add_certificate_variants(VariantList& list, const PemBundle& bundle) {
    const auto& blocks = bundle.blocks;
    std::string canonical;
    std::string all_der;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        canonical += encode_pem("CERTIFICATE", blocks[i].der);
        all_der.append(blocks[i].der.begin(), blocks[i].der.end());
        if (blocks.size() > 1) {
            std::string n = std::to_string(i + 1);
            list.add("certificate-" + n,
                     "only certificate " + n +
                         " of this bundle (the token was made for a root "
                         "bundle holding that certificate alone)",
                     without_trailing_newlines(blocks[i].original) + "\n");
            list.add("certificate-" + n + "-reencoded",
                     "only certificate " + n + ", re-encoded as canonical PEM",
                     encode_pem("CERTIFICATE", blocks[i].der));
        }
    }
    list.add("pem-reencoded",
             "its canonical PEM re-encoding (64-column base64, LF, no headers or text outside "
             "the blocks: what the engine stores for an operator's --ca-cert)",
             canonical);
    list.add_digest("der",
                    "the DER of its first certificate (the digest is over the PEM file's bytes, "
                    "not the DER: whoever computed it hashed the wrong thing)",
                    sha256(blocks.front().der.data(), blocks.front().der.size()));
    if (blocks.size() > 1)
        list.add_digest("der-bundle", "the DER of all its certificates, concatenated",
                        sha256(std::string_view(all_der)));
}

// What the first certificate is, and the hint sentence that goes with it (empty for a root).
std::string classify(const Certificate& first, std::size_t count, std::string& kind) {
    if (!first.is_ca()) {
        bool swarm_node = role_of_organizational_unit(first.organizational_unit()).has_value();
        kind = swarm_node ? "node-certificate" : "leaf-certificate";
        std::string what = swarm_node ? "a swarm node certificate (CN=" + first.common_name() +
                                            ", OU=" + first.organizational_unit() + ")"
                                      : "a leaf certificate (" + first.subject() + "), not a CA";
        return "this file starts with " + what +
               ", not a root: verify against swarm-root-ca.crt in the same directory";
    }
    if (!first.subject_equals_issuer()) {
        kind = "intermediate";
        return "this file starts with an intermediate CA (" + first.subject() + " issued by " +
               first.issuer() + "), not a self-signed root: verify against swarm-root-ca.crt";
    }
    kind = count > 1 ? "root-bundle" : "root";
    return {};
}

// The one place where the token's digest and the file's differ, when there is exactly one.
std::optional<DigestTypo> find_digest_typo(const JoinToken& token, const Sha256& file_sha256) {
    std::string file = digest_to_base36(file_sha256);
    const std::string& given = token.digest_base36;
    if (given.size() != file.size()) return std::nullopt;
    std::optional<DigestTypo> typo;
    for (std::size_t i = 0; i < file.size(); ++i) {
        if (given[i] == file[i]) continue;
        if (typo) return std::nullopt;
        typo = DigestTypo{i + 1, given[i], file[i]};
    }
    return typo;
}

std::string typo_sentence(const DigestTypo& typo) {
    return "the token's digest differs from this file's in one character (character " +
           std::to_string(typo.position) + " of the digest is '" + typo.token + "', the file's '" +
           typo.file +
           "'): the token was mistyped; copy it again from `docker swarm join-token -q worker` "
           "(or manager)";
}

std::string compose_hint(const std::string& about_file,
                         const std::vector<RootFileVariant>& variants,
                         const std::optional<DigestTypo>& typo) {
    std::string matching;
    for (const RootFileVariant& v : variants)
        if (v.matches) matching += (matching.empty() ? "" : "; or ") + v.description;
    std::string hint = about_file;
    if (!matching.empty()) {
        hint += (hint.empty() ? "" : "; ") + std::string("the token's digest matches ") + matching;
    } else if (typo) {
        hint += (hint.empty() ? "" : "; ") + typo_sentence(*typo);
    } else if (hint.empty()) {  // a root, and nothing derived from it matches
        hint = "the token pins a different root: no variant of this file (line endings, trailing "
               "newline, single certificates, PEM re-encoding, DER) matches; after a CA rotation "
               "tokens carry the new root's digest, so get the current one with "
               "`docker swarm join-token -q worker`";
    }
    return hint;
}

}  // namespace

RootFileCheck check_root_file(const JoinToken& token, std::string_view file_bytes,
                              const std::string& path) {
    RootFileCheck check;
    check.file_sha256 = sha256(file_bytes);
    check.match = constant_time_equal(check.file_sha256.data(), token.digest.data(),
                                      check.file_sha256.size());
    if (check.match) return check;

    VariantList list(token, file_bytes);
    std::string about_file;
    PemParseResult parsed = parse_pem(file_bytes);
    if (parsed.bundle) {
        std::vector<Certificate> certs = certificates_from_pem(*parsed.bundle, path);
        about_file = classify(certs.front(), certs.size(), check.kind);
        add_text_variants(list, file_bytes);
        add_certificate_variants(list, *parsed.bundle);
    } else {
        Bytes der(file_bytes.begin(), file_bytes.end());
        if (file_bytes.empty() || static_cast<unsigned char>(file_bytes.front()) != 0x30)
            throw Error(path,
                        "not a PEM certificate bundle (line " +
                            std::to_string(parsed.problem.line) + ": " + parsed.problem.message +
                            ")",
                        "give the node's swarm-root-ca.crt", ReadFailure::bad_pem);
        Certificate cert = Certificate::from_der(der, path);
        std::string ignored;
        about_file = classify(cert, 1, ignored);
        check.kind = "der-certificate";
        about_file = "this file is DER, but the engine's root file is PEM" +
                     (about_file.empty() ? std::string() : "; " + about_file);
        list.add("pem-encoding",
                 "the PEM encoding of this DER certificate (the engine hashes "
                 "swarm-root-ca.crt, which is PEM)",
                 encode_pem("CERTIFICATE", der));
    }
    check.variants = list.take();
    check.digest_typo = find_digest_typo(token, check.file_sha256);
    check.hint = compose_hint(about_file, check.variants, check.digest_typo);
    return check;
}

namespace {

constexpr std::string_view kWhite = " \t\r\n";

std::string_view trimmed(std::string_view text) {
    std::size_t first = text.find_first_not_of(kWhite);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kWhite) - first + 1);
}

}  // namespace

std::string_view join_token_text(std::string_view text) {
    text = trimmed(text);
    std::optional<std::string_view> found;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find_first_of(kWhite, start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(start, end - start);
        if (word.rfind("SWMTKN-", 0) == 0) {
            if (found) return text;  // two tokens: let the parser say what is wrong
            found = word;
        }
        start = text.find_first_not_of(kWhite, end);
        if (start == std::string_view::npos) break;
    }
    return found.value_or(text);
}

JoinToken read_join_token_file(const std::string& path) {
    SecretFile file = read_secret_file(path);
    std::string_view text(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
    if (trimmed(text).find('\n') != std::string_view::npos)
        throw Error(path, "holds more than one line",
                    "one token per --token-file; for a list use `swarmpki token decode - < " +
                        path + "`");
    JoinTokenParse parsed = parse_join_token(join_token_text(text));
    if (!parsed.token)
        throw Error(path, "not a valid join token: " + parsed.error,
                    "give the token `docker swarm join-token -q worker` prints");
    return *parsed.token;  // a copy either way: JoinToken wipes its secret, so it has no move
}

}  // namespace swarmpki
