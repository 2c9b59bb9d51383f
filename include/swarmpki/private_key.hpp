// Node keys as the engine writes them, and the autolock unlock key.
//
// Formats: PKCS#8 `PRIVATE KEY` (current nodes), SEC1 `EC PRIVATE KEY` (nodes from before
// 2017-06), autolocked `ENCRYPTED PRIVATE KEY` (PKCS#8 PBES2: PBKDF2-HMAC-SHA1, AES-256-CBC), and
// legacy `Proc-Type: 4,ENCRYPTED` SEC1 keys (OpenSSL's EVP_BytesToKey scheme). The password is the
// unlock key's raw 32 bytes, which may contain NUL, so it is always passed with a length.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/private_key.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/handle.hpp"
#include "swarmpki/pem.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

enum class KeyEncoding { pkcs8, sec1, pkcs1_rsa, pkcs8_encrypted, legacy_encrypted, unknown };

const char* to_string(KeyEncoding encoding);

// What the PEM block says about a key without decrypting anything. Header values are not kept:
// `raft-dek` is a secret when autolock is off.
struct KeyFileFacts {
    std::string pem_type;
    KeyEncoding encoding = KeyEncoding::unknown;
    bool encrypted = false;
    std::vector<std::string> header_names;
    std::optional<std::string> kek_version;  // not secret: a cluster version index
    // Why the encryption parameters are refused (refused_key_encryption), for an
    // `ENCRYPTED PRIVATE KEY`; nullopt when they are the engine's.
    std::optional<std::string> encryption_refused;
};

// The PBKDF2 iteration count is read from the key file, and each derivation costs that many
// HMACs: 8.4 million took 2.9 s, INT_MAX about 12 minutes, for every key of every scan. The
// engine always writes 2048; a count above this bound is refused before deriving anything.
inline constexpr long kMaxPbkdf2Iterations = 100'000;

// Checks an `ENCRYPTED PRIVATE KEY`'s DER (EncryptedPrivateKeyInfo) against the scheme the engine
// writes (DOMAIN.md 4.2): PBES2 with PBKDF2, PRF HMAC-SHA1 (absent, the default, or named), a
// key length absent or 32, at most kMaxPbkdf2Iterations, and AES-256-CBC. Parsed with OpenSSL's
// ASN.1 types, without deriving a key. Returns why it is refused ("PBKDF2 with 200000
// iterations, over the 100000 swarmpki accepts"), or nullopt when it is the engine's scheme.
std::optional<std::string> refused_key_encryption(const Bytes& der);

KeyFileFacts describe_key_block(const PemBlock& block);

// "SWMKEY-1-" + unpadded standard base64. The engine's parser does not check the length; we
// accept any decodable length but report anything but 32 bytes as suspicious to callers.
// Throws swarmpki::Error("the unlock key", ...) — never echoing the value.
SecretBytes parse_unlock_key(std::string_view text);

class PrivateKey {
public:
    explicit PrivateKey(ossl::UniquePtr<EVP_PKEY> key) : key_(std::move(key)) {}
    EVP_PKEY* get0() const { return key_.get(); }  // borrowed
    std::string type() const { return describe_key_type(key_.get()); }
    bool matches(const Certificate& certificate) const;
    // DER SubjectPublicKeyInfo of the public half.
    Bytes public_key_der() const;

private:
    ossl::UniquePtr<EVP_PKEY> key_;
};

// Loads the key from its block. `password` may be null: an encrypted key then throws
// swarmpki::Error(path, "key is encrypted (autolock) ...", remedy). A wrong password throws
// swarmpki::Error(path, "the unlock key does not decrypt this key", ...). Encryption parameters
// that refused_key_encryption refuses throw swarmpki::Error(path, "key encryption refused: ...")
// before any key derivation, with or without a password. Legacy `Proc-Type: 4,ENCRYPTED` keys
// (EVP_BytesToKey: one MD5 round, no count in the file) load with any cipher OpenSSL knows.
PrivateKey load_private_key(const PemBlock& block, const SecretBytes* password,
                            const std::string& path);

// Finds the single key block in a bundle (refusing certificates-only and multi-key files).
const PemBlock& key_block_of(const PemBundle& bundle, const std::string& path);

// Serializations used by the CA engine.
std::string encode_pkcs8_pem(const PrivateKey& key, const std::vector<PemHeader>& headers = {});
std::string encode_sec1_pem(const PrivateKey& key);
// Encrypts as the engine does under autolock (PBES2, PBKDF2-SHA1 2048 rounds, AES-256-CBC).
std::string encode_encrypted_pkcs8_pem(const PrivateKey& key, const SecretBytes& password,
                                       const std::vector<PemHeader>& headers = {});

}  // namespace swarmpki
