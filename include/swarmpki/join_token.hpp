// Join tokens: SWMTKN-1-<digest50>-<secret25> and the FIPS form
// SWMTKN-2-<0|1>-<digest50>-<secret25>.
//
// The digest part is the SHA-256 of the exact bytes of the cluster's root bundle (its PEM,
// trailing newline included), written as a base-36 number zero-padded to 50 characters; the
// secret is 16 random bytes as base 36 padded to 25. The token says nothing about the role:
// worker and manager tokens differ only in their secrets.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/join_token.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/encoding.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

struct JoinToken {
    int version = 1;                        // 1, or 2 for the FIPS-capable form
    bool fips = false;                      // SWMTKN-2-1
    Sha256 digest{};                        // root bundle digest
    std::string digest_base36;              // the 50 characters as given
    std::string secret_base36;              // 25 characters: secret, never print unasked
    std::array<std::uint8_t, 16> secret{};  // the secret's 16 bytes

    std::string digest_hex() const { return hex_encode(digest); }
    std::string secret_hex() const { return hex_encode(secret.data(), secret.size()); }
    std::string to_string() const;  // the token text (contains the secret)

    // The secret is cleansed from memory when a token goes (each copy cleans its own), so a
    // core dump or a freed page taken later does not hold it.
    ~JoinToken();
};

// Strict parse; on failure `error` is a one-line reason naming the part and the rule, and never
// contains the secret ("secret: 24 characters, expected 25").
struct JoinTokenParse {
    std::optional<JoinToken> token;
    std::string error;
};
JoinTokenParse parse_join_token(std::string_view text);

// The token in text as operators paste it: the token alone (surrounding white space ignored),
// or a line holding exactly one SWMTKN- word, such as the `docker swarm join --token TOKEN
// HOST:PORT` line the engine prints. Anything else is returned trimmed, for the parser to judge.
std::string_view join_token_text(std::string_view text);

// One join token from a file or a FIFO (`--token-file <(docker swarm join-token -q worker)`, how
// operators keep tokens out of ps), read capped like every secret (file.hpp). Throws
// swarmpki::Error naming the path: unreadable, more than one line, not a valid join token.
JoinToken read_join_token_file(const std::string& path);

// The longest text parse_join_token looks at: a real token is 85 (v1) or 87 (v2) characters, so
// anything near this is not a token, and a 100 KB paste is refused before it is scanned.
inline constexpr std::size_t kMaxJoinTokenLength = 200;

// The same parse into caller-owned storage, for batches: `out`'s strings keep their capacity from
// one token to the next, so a stream of tokens is decoded without allocating. Returns false and
// sets `error` (never containing the secret) on a refusal; `out` is then unspecified.
bool parse_join_token_into(std::string_view text, JoinToken& out, std::string& error);

// Base 36 helpers on fixed-width big-endian numbers (the engine's big.Int.Text(36) padded).
std::string digest_to_base36(const Sha256& digest);                        // 50 chars, zero-padded
std::string secret_to_base36(const std::array<std::uint8_t, 16>& secret);  // 25 chars

// A new token for this root bundle, the way the engine makes one (16 bytes from the CSPRNG).
JoinToken generate_join_token(std::string_view root_bundle_bytes, bool fips = false);

// Constant-time: does the token pin exactly these root-file bytes?
bool token_pins_root(const JoinToken& token, std::string_view root_bundle_bytes);

// One way the root file could have been changed or mis-hashed, and whether the token pins that.
struct RootFileVariant {
    std::string name;         // stable code: "lf-line-endings", "certificate-2", "der", ...
    std::string description;  // "this file with LF instead of CRLF line endings (...)"
    Sha256 sha256{};
    bool matches = false;
};

// A token digest one character away from the file's: the token was mistyped, not made for
// another root (two different roots' digests agree in 1 of 36 places at random, never in 49).
struct DigestTypo {
    std::size_t position = 0;  // 1-based, within the 50 base-36 characters of the digest
    char token = 0;            // the token's character there
    char file = 0;             // the file's digest's character there
};

// `token verify`: the exact-bytes comparison, and on a mismatch what would have matched.
struct RootFileCheck {
    bool match = false;  // constant-time compare of SHA-256(file bytes) and the digest
    Sha256 file_sha256{};
    std::optional<DigestTypo> digest_typo;  // on a mismatch, when the digests differ in one place
    std::string kind;  // on mismatch: root, root-bundle, intermediate, node-certificate,
                       // leaf-certificate, der-certificate; empty on a match
    std::vector<RootFileVariant> variants;  // tried on a mismatch only
    std::string hint;                       // one line on a mismatch, empty on a match
};

// Throws swarmpki::Error naming `path` when a mismatching file is neither a PEM certificate
// bundle nor a DER certificate (there is nothing to explain then).
RootFileCheck check_root_file(const JoinToken& token, std::string_view file_bytes,
                              const std::string& path);

}  // namespace swarmpki
