#include "swarmpki/private_key.hpp"

#include "certificate_internal.hpp"
#include "swarmpki/error.hpp"

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace swarmpki {

const char* to_string(KeyEncoding encoding) {
    switch (encoding) {
        case KeyEncoding::pkcs8: return "pkcs8";
        case KeyEncoding::sec1: return "sec1";
        case KeyEncoding::pkcs1_rsa: return "pkcs1";
        case KeyEncoding::pkcs8_encrypted: return "pkcs8-encrypted";
        case KeyEncoding::legacy_encrypted: return "legacy-encrypted";
        case KeyEncoding::unknown: return "unknown";
    }
    return "unknown";
}

KeyFileFacts describe_key_block(const PemBlock& block) {
    KeyFileFacts facts;
    facts.pem_type = block.type;
    facts.header_names = block.header_names();
    if (const PemHeader* kek = block.header("kek-version")) facts.kek_version = kek->value;
    const PemHeader* proc = block.header("Proc-Type");
    bool legacy_encrypted = proc && proc->value.find("ENCRYPTED") != std::string::npos;
    if (block.type == "ENCRYPTED PRIVATE KEY") {
        facts.encoding = KeyEncoding::pkcs8_encrypted;
        facts.encrypted = true;
        facts.encryption_refused = refused_key_encryption(block.der);
    } else if (legacy_encrypted) {
        facts.encoding = KeyEncoding::legacy_encrypted;
        facts.encrypted = true;
    } else if (block.type == "PRIVATE KEY") {
        facts.encoding = KeyEncoding::pkcs8;
    } else if (block.type == "EC PRIVATE KEY") {
        facts.encoding = KeyEncoding::sec1;
    } else if (block.type == "RSA PRIVATE KEY") {
        facts.encoding = KeyEncoding::pkcs1_rsa;
    }
    return facts;
}

namespace {

bool unlock_key_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The key word in `text`: the text itself, trimmed, or, when it holds the advice `docker swarm
// unlock-key` prints without -q, the one word that starts with the prefix.
std::string_view unlock_key_word(std::string_view text, std::string_view prefix) {
    std::size_t at = text.find(prefix);
    if (at != std::string_view::npos && text.find(prefix, at + 1) != std::string_view::npos)
        throw Error("the unlock key", "holds more than one SWMKEY-1- key",
                    "give one key, as `docker swarm unlock-key -q` prints it");
    if (at != std::string_view::npos) text.remove_prefix(at);
    while (!text.empty() && unlock_key_space(text.front())) text.remove_prefix(1);
    std::size_t end = 0;
    while (end < text.size() && !unlock_key_space(text[end])) ++end;
    return text.substr(0, end);
}

}  // namespace

SecretBytes parse_unlock_key(std::string_view text) {
    constexpr std::string_view kPrefix = "SWMKEY-1-";
    constexpr std::size_t kKeyBytes = 32;  // swarmkit: 32 random bytes, raw base64
    std::string_view word = unlock_key_word(text, kPrefix);
    if (word.substr(0, kPrefix.size()) != kPrefix)
        throw Error("the unlock key", "does not start with SWMKEY-1-",
                    "give the key `docker swarm unlock-key -q` prints");
    auto raw = base64_decode(word.substr(kPrefix.size()), Padding::optional);
    if (!raw || raw->empty())
        throw Error("the unlock key", "is not valid base64 after SWMKEY-1-",
                    "give the key `docker swarm unlock-key -q` prints");
    if (raw->size() != kKeyBytes) {
        std::size_t size = raw->size();
        SecretBytes wipe(std::move(*raw));
        throw Error(
            "the unlock key",
            "is malformed: decodes to " + std::to_string(size) + " bytes, 32 expected",
            "it was cut short or mistyped: copy it again from `docker swarm unlock-key -q`");
    }
    return SecretBytes(std::move(*raw));
}

bool PrivateKey::matches(const Certificate& certificate) const {
    EVP_PKEY* cert_key = certificate.public_key();  // borrowed
    bool same = cert_key != nullptr && EVP_PKEY_eq(key_.get(), cert_key) == 1;
    ossl::drain_errors();
    return same;
}

Bytes PrivateKey::public_key_der() const {
    return ossl::to_der(i2d_PUBKEY, key_.get(), "encoding a public key");
}

namespace {

// SEC1 ECPrivateKey (RFC 5915), read with OpenSSL's ASN.1 templates so that an EC key can be built
// with EVP_PKEY_fromdata: OpenSSL 3.0's EVP_PKCS82PKEY and d2i_PrivateKey build an OSSL_DECODER
// context per key (~4M instructions, the largest cost of `swarmpki inspect`). Keys this fast path
// does not cover (RSA, explicit curve parameters, curves other than cert_detail::named_curve's,
// hybrid points, no embedded public key) take OpenSSL's own way.
struct EcPrivateKey {
    ASN1_INTEGER* version;
    ASN1_OCTET_STRING* private_key;
    ASN1_TYPE* parameters;
    ASN1_BIT_STRING* public_key;
};
DECLARE_ASN1_ITEM(EcPrivateKey)
ASN1_SEQUENCE(EcPrivateKey) = {
    ASN1_SIMPLE(EcPrivateKey, version, ASN1_INTEGER),
    ASN1_SIMPLE(EcPrivateKey, private_key, ASN1_OCTET_STRING),
    ASN1_EXP_OPT(EcPrivateKey, parameters, ASN1_ANY, 0),
    ASN1_EXP_OPT(EcPrivateKey, public_key, ASN1_BIT_STRING, 1),
} ASN1_SEQUENCE_END(EcPrivateKey)

struct EcPrivateKeyDeleter {
    void operator()(EcPrivateKey* key) const noexcept {
        if (key != nullptr && key->private_key != nullptr)  // the secret scalar
            OPENSSL_cleanse(key->private_key->data,
                            static_cast<std::size_t>(key->private_key->length));
        ossl::ItemDeleter{ASN1_ITEM_rptr(EcPrivateKey)}(key);
    }
};

// The curve NID named by an ASN1_TYPE holding an OBJECT IDENTIFIER, else NID_undef.
int curve_of(int parameter_type, const void* parameter) {
    if (parameter_type != V_ASN1_OBJECT) return NID_undef;
    return OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(parameter));
}

// `curve_nid`: from the PKCS#8 algorithm, or NID_undef for a bare SEC1 key (whose own parameters
// must then name the curve). nullptr means "not for the fast path", never "invalid".
ossl::UniquePtr<EVP_PKEY> ec_key_from_sec1(const unsigned char* der, long size, int curve_nid) {
    const unsigned char* cursor = der;
    std::unique_ptr<EcPrivateKey, EcPrivateKeyDeleter> sec1(reinterpret_cast<EcPrivateKey*>(
        ASN1_item_d2i(nullptr, &cursor, size, ASN1_ITEM_rptr(EcPrivateKey))));
    if (!sec1 || cursor != der + size || ASN1_INTEGER_get(sec1->version) != 1 ||
        sec1->public_key == nullptr || (sec1->public_key->flags & 0x07) != 0) {
        ossl::drain_errors();
        return nullptr;
    }
    if (sec1->parameters) {
        int named = curve_of(sec1->parameters->type, sec1->parameters->value.object);
        if (curve_nid != NID_undef && named != curve_nid) return nullptr;
        curve_nid = named;
    }
    const cert_detail::NamedCurve* curve = cert_detail::named_curve(curve_nid);
    if (curve == nullptr) return nullptr;
    return cert_detail::ec_key_from_parts(
        *curve, {ASN1_STRING_get0_data(sec1->public_key),
                 static_cast<std::size_t>(ASN1_STRING_length(sec1->public_key)),
                 ASN1_STRING_get0_data(sec1->private_key),
                 static_cast<std::size_t>(ASN1_STRING_length(sec1->private_key))});
}

ossl::UniquePtr<EVP_PKEY> key_from_pkcs8(const PKCS8_PRIV_KEY_INFO* info) {
    const ASN1_OBJECT* algorithm = nullptr;
    const unsigned char* inner = nullptr;
    int inner_size = 0;
    const X509_ALGOR* algor = nullptr;
    if (PKCS8_pkey_get0(&algorithm, &inner, &inner_size, &algor, info) == 1 &&
        OBJ_obj2nid(algorithm) == NID_X9_62_id_ecPublicKey) {
        int parameter_type = 0;
        const void* parameter = nullptr;
        X509_ALGOR_get0(nullptr, &parameter_type, &parameter, algor);
        int curve = curve_of(parameter_type, parameter);
        if (curve != NID_undef)
            if (auto key = ec_key_from_sec1(inner, inner_size, curve)) return key;
    }
    return ossl::UniquePtr<EVP_PKEY>(EVP_PKCS82PKEY(info));
}

ossl::UniquePtr<EVP_PKEY> parse_plain(const Bytes& der, KeyEncoding encoding) {
    const unsigned char* cursor = der.data();
    long size = static_cast<long>(der.size());
    if (encoding == KeyEncoding::pkcs8) {
        ossl::UniquePtr<PKCS8_PRIV_KEY_INFO> info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, size));
        if (!info || cursor != der.data() + der.size()) return nullptr;
        return key_from_pkcs8(info.get());
    }
    if (encoding == KeyEncoding::sec1)
        if (auto key = ec_key_from_sec1(der.data(), size, NID_undef)) return key;
    int type = encoding == KeyEncoding::pkcs1_rsa ? EVP_PKEY_RSA : EVP_PKEY_EC;
    ossl::UniquePtr<EVP_PKEY> key(d2i_PrivateKey(type, nullptr, &cursor, size));
    if (!key || cursor != der.data() + der.size()) return nullptr;
    return key;
}

ossl::UniquePtr<EVP_PKEY> decrypt_pkcs8(const Bytes& der, const SecretBytes& password) {
    const unsigned char* cursor = der.data();
    ossl::UniquePtr<X509_SIG> sealed(d2i_X509_SIG(nullptr, &cursor, static_cast<long>(der.size())));
    if (!sealed) return nullptr;
    ossl::UniquePtr<PKCS8_PRIV_KEY_INFO> info(
        PKCS8_decrypt(sealed.get(), reinterpret_cast<const char*>(password.data()),
                      static_cast<int>(password.size())));
    if (!info) return nullptr;
    return key_from_pkcs8(info.get());
}

struct PasswordView {
    const SecretBytes* secret;
};

int password_callback(char* buffer, int size, int /*rwflag*/, void* user) {
    const auto* view = static_cast<const PasswordView*>(user);
    if (!view || !view->secret || view->secret->size() > static_cast<std::size_t>(size)) return -1;
    std::copy(view->secret->data(), view->secret->data() + view->secret->size(), buffer);
    return static_cast<int>(view->secret->size());
}

// "DEK-Info: AES-256-CBC,<hex IV>" as PEM_get_EVP_CIPHER_INFO reads it, with the cipher fetched
// from the provider: PEM_get_EVP_CIPHER_INFO looks names up in libcrypto's legacy cipher table,
// which the command does not build (start_crypto_for_command). CBC ciphers only, as RFC 1421 and
// Go's x509.EncryptPEMBlock (the engine's writer) use; the IV must be exactly the cipher's.
ossl::UniquePtr<EVP_CIPHER> legacy_pem_cipher(const PemHeader& proc, const PemHeader& dek,
                                              EVP_CIPHER_INFO& info) {
    if (proc.value != "4,ENCRYPTED") return nullptr;
    std::size_t comma = dek.value.find(',');
    if (comma == std::string::npos) return nullptr;
    std::string name = dek.value.substr(0, comma);
    ossl::UniquePtr<EVP_CIPHER> cipher(EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr));
    if (!cipher || EVP_CIPHER_get_mode(cipher.get()) != EVP_CIPH_CBC_MODE) return nullptr;
    std::optional<Bytes> iv = hex_decode(std::string_view(dek.value).substr(comma + 1));
    int iv_length = EVP_CIPHER_get_iv_length(cipher.get());
    if (!iv || iv_length <= 0 || iv->size() != static_cast<std::size_t>(iv_length) ||
        iv->size() > sizeof info.iv)
        return nullptr;
    std::copy(iv->begin(), iv->end(), info.iv);
    info.cipher = cipher.get();
    return cipher;
}

// Legacy "Proc-Type: 4,ENCRYPTED" + "DEK-Info": OpenSSL's PEM_do_header implements the scheme.
ossl::UniquePtr<EVP_PKEY> decrypt_legacy(const PemBlock& block, const SecretBytes& password) {
    const PemHeader* proc = block.header("Proc-Type");
    const PemHeader* dek = block.header("DEK-Info");
    if (!proc || !dek) return nullptr;
    EVP_CIPHER_INFO info{};
    ossl::UniquePtr<EVP_CIPHER> cipher = legacy_pem_cipher(*proc, *dek, info);
    if (!cipher) return nullptr;
    Bytes data = block.der;
    long length = static_cast<long>(data.size());
    PasswordView view{&password};
    if (PEM_do_header(&info, data.data(), &length, password_callback, &view) != 1) return nullptr;
    data.resize(static_cast<std::size_t>(length));
    auto key = parse_plain(data, block.type == "RSA PRIVATE KEY" ? KeyEncoding::pkcs1_rsa
                                                                 : KeyEncoding::sec1);
    OPENSSL_cleanse(data.data(), data.size());
    return key;
}

}  // namespace

namespace {

// PBES2 and PBKDF2 parameters through OpenSSL's own ASN.1 items (as EcPrivateKey above).
template <typename T>
using Item = ossl::ItemPtr<T>;

// An AlgorithmIdentifier's SEQUENCE parameter decoded as `item`; null when it is not one.
template <typename T>
Item<T> unpack_parameter(int type, const void* value, const ASN1_ITEM* item) {
    if (type != V_ASN1_SEQUENCE || value == nullptr)
        return Item<T>(nullptr, ossl::ItemDeleter{item});
    return Item<T>(static_cast<T*>(ASN1_item_unpack(static_cast<const ASN1_STRING*>(value), item)),
                   ossl::ItemDeleter{item});
}

std::string algorithm_name(const ASN1_OBJECT* object) {
    char text[128];
    int nid = OBJ_obj2nid(object);
    if (nid != NID_undef) return OBJ_nid2sn(nid);
    if (OBJ_obj2txt(text, sizeof text, object, 1) <= 0) return "an unknown algorithm";
    return text;
}

std::optional<std::string> refused_pbkdf2(const X509_ALGOR* kdf) {
    const ASN1_OBJECT* kdf_oid = nullptr;
    int type = 0;
    const void* value = nullptr;
    X509_ALGOR_get0(&kdf_oid, &type, &value, kdf);
    if (OBJ_obj2nid(kdf_oid) != NID_id_pbkdf2)
        return "key derivation " + algorithm_name(kdf_oid) + ", not PBKDF2";
    auto params = unpack_parameter<PBKDF2PARAM>(type, value, ASN1_ITEM_rptr(PBKDF2PARAM));
    if (!params) return std::string("PBKDF2 parameters that do not parse");
    if (params->salt == nullptr || params->salt->type != V_ASN1_OCTET_STRING)
        return std::string("a PBKDF2 salt that is not an OCTET STRING");
    std::int64_t iterations = 0;
    if (ASN1_INTEGER_get_int64(&iterations, params->iter) != 1 || iterations < 1)
        return std::string("a PBKDF2 iteration count that is not a positive number");
    if (iterations > kMaxPbkdf2Iterations)
        return "PBKDF2 with " + std::to_string(iterations) + " iterations, over the " +
               std::to_string(kMaxPbkdf2Iterations) + " swarmpki accepts";
    std::int64_t key_length = 32;
    if (params->keylength != nullptr &&
        (ASN1_INTEGER_get_int64(&key_length, params->keylength) != 1 || key_length != 32))
        return "a PBKDF2 key length of " + std::to_string(key_length) + ", not 32";
    if (params->prf != nullptr) {
        const ASN1_OBJECT* prf = nullptr;
        X509_ALGOR_get0(&prf, nullptr, nullptr, params->prf);
        if (OBJ_obj2nid(prf) != NID_hmacWithSHA1)
            return "PBKDF2 with " + algorithm_name(prf) + ", not hmacWithSHA1";
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> refused_key_encryption(const Bytes& der) {
    const unsigned char* cursor = der.data();
    ossl::UniquePtr<X509_SIG> sealed(d2i_X509_SIG(nullptr, &cursor, static_cast<long>(der.size())));
    if (!sealed) {
        ossl::drain_errors();
        return std::string("an EncryptedPrivateKeyInfo that does not parse");
    }
    const X509_ALGOR* scheme = nullptr;
    X509_SIG_get0(sealed.get(), &scheme, nullptr);
    const ASN1_OBJECT* scheme_oid = nullptr;
    int type = 0;
    const void* value = nullptr;
    X509_ALGOR_get0(&scheme_oid, &type, &value, scheme);
    if (OBJ_obj2nid(scheme_oid) != NID_pbes2)
        return "encryption scheme " + algorithm_name(scheme_oid) + ", not PBES2";
    auto pbes2 = unpack_parameter<PBE2PARAM>(type, value, ASN1_ITEM_rptr(PBE2PARAM));
    ossl::drain_errors();
    if (!pbes2) return std::string("PBES2 parameters that do not parse");
    if (auto kdf = refused_pbkdf2(pbes2->keyfunc)) {
        ossl::drain_errors();
        return kdf;
    }
    const ASN1_OBJECT* cipher = nullptr;
    X509_ALGOR_get0(&cipher, nullptr, nullptr, pbes2->encryption);
    if (OBJ_obj2nid(cipher) != NID_aes_256_cbc)
        return "cipher " + algorithm_name(cipher) + ", not AES-256-CBC";
    return std::nullopt;
}

PrivateKey load_private_key(const PemBlock& block, const SecretBytes* password,
                            const std::string& path) {
    KeyFileFacts facts = describe_key_block(block);
    if (facts.encoding == KeyEncoding::unknown)
        throw Error(path, "a " + block.type + " block is not a private key",
                    "point at the node key (swarm-node.key)", ReadFailure::bad_pem);
    ossl::UniquePtr<EVP_PKEY> key;
    if (facts.encrypted) {
        // Before the password check too: what is refused is the file, whatever key comes.
        if (facts.encryption_refused)
            throw Error(path, "key encryption refused: " + *facts.encryption_refused,
                        "the engine writes PBKDF2-HMAC-SHA1 with 2048 iterations and AES-256-CBC; "
                        "restore the node's own key");
        if (password == nullptr || password->empty())
            throw Error(path, "key is encrypted (autolock) and no unlock key was given",
                        "pass --unlock-key-file, --unlock-key-stdin or SWARMPKI_UNLOCK_KEY");
        key = facts.encoding == KeyEncoding::pkcs8_encrypted ? decrypt_pkcs8(block.der, *password)
                                                             : decrypt_legacy(block, *password);
        ossl::drain_errors();
        if (!key)
            throw Error(path, "the unlock key does not decrypt this key",
                        "use the current key from `docker swarm unlock-key -q`; a manager that "
                        "was down during a key rotation needs the previous one");
    } else {
        key = parse_plain(block.der, facts.encoding);
        std::string queue = ossl::drain_errors();
        if (!key)
            throw Error(path,
                        "the " + block.type + " block does not hold a valid key" +
                            (queue.empty() ? "" : " (" + queue + ")"),
                        {}, ReadFailure::bad_pem);
    }
    return PrivateKey(std::move(key));
}

const PemBlock& key_block_of(const PemBundle& bundle, const std::string& path) {
    const PemBlock* found = nullptr;
    for (const PemBlock& block : bundle.blocks) {
        if (block.type.find("PRIVATE KEY") == std::string::npos) continue;
        if (found)
            throw Error(path, "more than one private key block", "keep only the node's key",
                        ReadFailure::bad_pem);
        found = &block;
    }
    if (!found)
        throw Error(path, "no private key block (found " + bundle.blocks.front().type + ")",
                    "point at the node key (swarm-node.key)", ReadFailure::bad_pem);
    return *found;
}

namespace {

std::string with_headers(std::string pem, const std::vector<PemHeader>& headers) {
    if (headers.empty()) return pem;
    std::size_t first_newline = pem.find('\n');
    std::string block = pem.substr(0, first_newline + 1);
    for (const PemHeader& h : headers) block += h.name + ": " + h.value + "\n";
    block += "\n";
    return block + pem.substr(first_newline + 1);
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::string encode_pkcs8_pem(const PrivateKey& key, const std::vector<PemHeader>& headers) {
    ossl::UniquePtr<PKCS8_PRIV_KEY_INFO> info(
        ossl::check(EVP_PKEY2PKCS8(key.get0()), "encoding a key as PKCS#8"));
    Bytes bytes = ossl::to_der(i2d_PKCS8_PRIV_KEY_INFO, info.get(), "encoding PKCS#8",
                               ossl::Contents::secret);
    std::string pem = encode_pem("PRIVATE KEY", bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return with_headers(std::move(pem), headers);
}

std::string encode_sec1_pem(const PrivateKey& key) {
    ossl::UniquePtr<BIO> bio(ossl::check(BIO_new(BIO_s_mem()), "BIO_new"));
    ossl::check(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get0(), nullptr, nullptr, 0,
                                                     nullptr, nullptr),
                "encoding a key in its traditional form");
    return bio_text(bio.get());
}

std::string encode_encrypted_pkcs8_pem(const PrivateKey& key, const SecretBytes& password,
                                       const std::vector<PemHeader>& headers) {
    ossl::UniquePtr<PKCS8_PRIV_KEY_INFO> info(
        ossl::check(EVP_PKEY2PKCS8(key.get0()), "encoding a key as PKCS#8"));
    // The engine's scheme (ca/pkcs8): PBES2, PBKDF2 with an 8-byte salt and 2048 iterations and
    // no PRF element (so HMAC-SHA1, the RFC default), AES-256-CBC. OpenSSL 3's PKCS8_encrypt
    // would pick HMAC-SHA256, so the algorithm identifier is built explicitly.
    ossl::UniquePtr<X509_ALGOR> scheme(
        ossl::check(PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), 2048, nullptr, 8, nullptr,
                                         NID_hmacWithSHA1, nullptr),
                    "building the PBES2 parameters"));
    ossl::UniquePtr<X509_SIG> sealed(PKCS8_set0_pbe(reinterpret_cast<const char*>(password.data()),
                                                    static_cast<int>(password.size()), info.get(),
                                                    scheme.get()));
    if (!sealed) throw ossl::Error("encrypting a key");
    (void)scheme.release();  // PKCS8_set0_pbe took ownership on success
    Bytes bytes = ossl::to_der(i2d_X509_SIG, sealed.get(), "encoding an encrypted key");
    return with_headers(encode_pem("ENCRYPTED PRIVATE KEY", bytes), headers);
}

}  // namespace swarmpki
