#include "swarmpki/certificate.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cctype>
#include <mutex>
#include <utility>

namespace swarmpki {

namespace {

// A certificate as OpenSSL's own ASN.1 templates read it, except that the SubjectPublicKeyInfo
// stays an algorithm and a bit string. OpenSSL 3.0's d2i_X509 turns every SPKI into an EVP_PKEY
// through a freshly built OSSL_DECODER context (~2M instructions per certificate, most of
// `swarmpki inspect`); the key is needed only to check a signature, so it is built on demand.
struct RawSpki {
    X509_ALGOR* algorithm;
    ASN1_BIT_STRING* public_key;
};
struct RawTbs {
    ASN1_INTEGER* version;
    ASN1_INTEGER* serial;
    X509_ALGOR* signature;
    X509_NAME* issuer;
    X509_VAL* validity;
    X509_NAME* subject;
    RawSpki* key;
    ASN1_BIT_STRING* issuer_uid;
    ASN1_BIT_STRING* subject_uid;
    STACK_OF(X509_EXTENSION)* extensions;
};
struct RawCert {
    RawTbs* tbs;
    X509_ALGOR* signature_algorithm;
    ASN1_BIT_STRING* signature;
};

DECLARE_ASN1_ITEM(RawSpki)
DECLARE_ASN1_ITEM(RawTbs)
DECLARE_ASN1_ITEM(RawCert)

// RFC 5280 4.1, field for field as OpenSSL's X509_CINF and X509 templates declare them.
ASN1_SEQUENCE(RawSpki) = {
    ASN1_SIMPLE(RawSpki, algorithm, X509_ALGOR),
    ASN1_SIMPLE(RawSpki, public_key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(RawSpki)

ASN1_SEQUENCE(RawTbs) = {
    ASN1_EXP_OPT(RawTbs, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(RawTbs, serial, ASN1_INTEGER),
    ASN1_SIMPLE(RawTbs, signature, X509_ALGOR),
    ASN1_SIMPLE(RawTbs, issuer, X509_NAME),
    ASN1_SIMPLE(RawTbs, validity, X509_VAL),
    ASN1_SIMPLE(RawTbs, subject, X509_NAME),
    ASN1_SIMPLE(RawTbs, key, RawSpki),
    ASN1_IMP_OPT(RawTbs, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(RawTbs, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(RawTbs, extensions, X509_EXTENSION, 3),
} ASN1_SEQUENCE_END(RawTbs)

ASN1_SEQUENCE(RawCert) = {
    ASN1_SIMPLE(RawCert, tbs, RawTbs),
    ASN1_SIMPLE(RawCert, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(RawCert, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(RawCert)

struct RawCertDeleter {
    void operator()(RawCert* raw) const noexcept {
        ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(raw), ASN1_ITEM_rptr(RawCert));
    }
};

// Decoded extension values, each freed with its own OpenSSL function.
template <typename T, void (*Free)(T*)>
struct FreeWith {
    void operator()(T* value) const noexcept { Free(value); }
};
template <typename T, void (*Free)(T*)>
using Decoded = std::unique_ptr<T, FreeWith<T, Free>>;

void free_eku(EXTENDED_KEY_USAGE* eku) { sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free); }

// The extension with this NID, when it occurs exactly once (X509_get_ext_d2i treats a repeated
// extension as absent, and so do we).
const X509_EXTENSION* unique_extension(const STACK_OF(X509_EXTENSION)* extensions, int nid) {
    int index = X509v3_get_ext_by_NID(extensions, nid, -1);
    if (index < 0 || X509v3_get_ext_by_NID(extensions, nid, index) >= 0) return nullptr;
    return X509v3_get_ext(extensions, index);
}

template <typename T>
T* decode_extension(const X509_EXTENSION* extension) {
    if (extension == nullptr) return nullptr;
    void* value = X509V3_EXT_d2i(const_cast<X509_EXTENSION*>(extension));
    if (value == nullptr) ossl::drain_errors();
    return static_cast<T*>(value);
}

// Named curves whose SPKI point we take as is; anything else goes through OpenSSL's decoder.
struct NamedCurve {
    int nid;
    const char* key_type;
    int bits;
    std::size_t field_bytes;
};
constexpr std::array<NamedCurve, 4> named_curves{{
    {NID_X9_62_prime256v1, "ecdsa-p256", 256, 32},
    {NID_secp384r1, "ecdsa-p384", 384, 48},
    {NID_secp521r1, "ecdsa-p521", 521, 66},
    {NID_secp224r1, "ecdsa-p224", 224, 28},
}};

// The curve of an id-ecPublicKey SPKI with a named curve and a well-formed point, else nullptr.
const NamedCurve* named_curve_of(const RawSpki& spki) {
    const ASN1_OBJECT* algorithm = nullptr;
    int parameter_type = 0;
    const void* parameter = nullptr;
    X509_ALGOR_get0(&algorithm, &parameter_type, &parameter, spki.algorithm);
    if (OBJ_obj2nid(algorithm) != NID_X9_62_id_ecPublicKey || parameter_type != V_ASN1_OBJECT)
        return nullptr;
    int curve_nid = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(parameter));
    const unsigned char* point = ASN1_STRING_get0_data(spki.public_key);
    auto length = static_cast<std::size_t>(ASN1_STRING_length(spki.public_key));
    for (const NamedCurve& curve : named_curves) {
        if (curve.nid != curve_nid) continue;
        bool uncompressed = length == 1 + 2 * curve.field_bytes && point[0] == 0x04;
        bool compressed = length == 1 + curve.field_bytes && (point[0] == 0x02 || point[0] == 0x03);
        return uncompressed || compressed ? &curve : nullptr;
    }
    return nullptr;
}

// EVP_PKEY_fromdata checks that the point lies on the curve, as decoding the SPKI would.
ossl::UniquePtr<EVP_PKEY> ec_key_from_point(const NamedCurve& curve, const ASN1_BIT_STRING* point) {
    const char* group = OBJ_nid2sn(curve.nid);
    std::array<OSSL_PARAM, 3> params{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_octet_string(
            OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(ASN1_STRING_get0_data(point)),
            static_cast<std::size_t>(ASN1_STRING_length(point))),
        OSSL_PARAM_construct_end()};
    ossl::UniquePtr<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.data()) != 1) {
        ossl::drain_errors();
        return nullptr;
    }
    return ossl::UniquePtr<EVP_PKEY>(key);
}

// The TBSCertificate's bytes inside a certificate's DER, as signed.
std::pair<const unsigned char*, std::size_t> tbs_bytes(const Bytes& der) {
    const unsigned char* p = der.data();
    long length = 0;
    int tag = 0, xclass = 0;
    if (ASN1_get_object(&p, &length, &tag, &xclass, static_cast<long>(der.size())) & 0x81)
        return {nullptr, 0};  // an error, or an indefinite length (BER, not DER)
    const unsigned char* tbs = p;
    if (ASN1_get_object(&p, &length, &tag, &xclass, der.data() + der.size() - p) & 0x81)
        return {nullptr, 0};
    return {tbs, static_cast<std::size_t>(p + length - tbs)};
}

std::string name_to_string(const X509_NAME* name) {
    ossl::UniquePtr<BIO> bio(ossl::check(BIO_new(BIO_s_mem()), "BIO_new"));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string first_entry(const X509_NAME* name, int nid) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

Instant to_instant(const ASN1_TIME* time) {
    struct tm parts {};
    ossl::check(ASN1_TIME_to_tm(time, &parts), "reading a certificate time");
    std::chrono::year_month_day ymd{std::chrono::year(parts.tm_year + 1900),
                                    std::chrono::month(static_cast<unsigned>(parts.tm_mon + 1)),
                                    std::chrono::day(static_cast<unsigned>(parts.tm_mday))};
    return std::chrono::sys_days(ymd) + std::chrono::hours(parts.tm_hour) +
           std::chrono::minutes(parts.tm_min) + Seconds(parts.tm_sec);
}

std::string octets_hex(const ASN1_OCTET_STRING* octets) {
    return hex_encode(ASN1_STRING_get0_data(octets),
                      static_cast<std::size_t>(ASN1_STRING_length(octets)));
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

std::string describe_key_type(EVP_PKEY* key) {
    if (key == nullptr) return "unknown";
    int bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC: {
            char curve[64] = {};
            std::size_t length = 0;
            if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve,
                                               sizeof curve, &length) != 1)
                return "ecdsa";
            std::string group(curve, length);
            if (group == "prime256v1" || group == "P-256") return "ecdsa-p256";
            if (group == "secp384r1" || group == "P-384") return "ecdsa-p384";
            if (group == "secp521r1" || group == "P-521") return "ecdsa-p521";
            if (group == "secp224r1" || group == "P-224") return "ecdsa-p224";
            return "ecdsa-" + group;
        }
        case EVP_PKEY_RSA: return "rsa-" + std::to_string(bits);
        case EVP_PKEY_ED25519: return "ed25519";
        case EVP_PKEY_DSA: return "dsa-" + std::to_string(bits);
        default: return "unknown";
    }
}

struct Certificate::Parsed {
    std::unique_ptr<RawCert, RawCertDeleter> raw;
    std::once_flag x509_once;
    ossl::UniquePtr<X509> x509;
    std::once_flag key_once;
    ossl::UniquePtr<EVP_PKEY> key;
};

Certificate::Certificate(std::shared_ptr<Parsed> parsed, Bytes der)
    : parsed_(std::move(parsed)), der_(std::move(der)) {
    read_fields();
}

Certificate Certificate::from_handle(ossl::UniquePtr<X509> handle) {
    unsigned char* der_out = nullptr;
    int der_length = ossl::check(i2d_X509(handle.get(), &der_out), "encoding a certificate");
    Bytes der(der_out, der_out + der_length);
    OPENSSL_free(der_out);
    Certificate certificate = from_der(der, "a certificate");
    std::call_once(certificate.parsed_->x509_once,
                   [&] { certificate.parsed_->x509 = std::move(handle); });
    return certificate;
}

Certificate Certificate::from_der(const Bytes& der, const std::string& subject_for_errors) {
    const unsigned char* cursor = der.data();
    auto parsed = std::make_shared<Parsed>();
    parsed->raw.reset(reinterpret_cast<RawCert*>(ASN1_item_d2i(
        nullptr, &cursor, static_cast<long>(der.size()), ASN1_ITEM_rptr(RawCert))));
    if (!parsed->raw) {
        std::string queue = ossl::drain_errors();
        throw Error(subject_for_errors, "not a valid X.509 certificate" +
                                            (queue.empty() ? "" : " (" + queue + ")"),
                    {}, ReadFailure::bad_pem);
    }
    if (cursor != der.data() + der.size())
        throw Error(subject_for_errors, "trailing bytes after the certificate", {},
                    ReadFailure::bad_pem);
    try {
        return Certificate(std::move(parsed), der);
    } catch (const ossl::Error& e) {
        // A field the ASN.1 templates accept but OpenSSL cannot read (a time with month 13):
        // the same one-line, subject-first error as DER that does not parse.
        throw Error(subject_for_errors, std::string("not a valid X.509 certificate (") + e.what() + ")",
                    "replace it with an intact copy of the certificate", ReadFailure::bad_pem);
    }
}

X509* Certificate::get0() const {
    Parsed& parsed = *parsed_;
    std::call_once(parsed.x509_once, [&] {
        const unsigned char* cursor = der_.data();
        parsed.x509.reset(d2i_X509(nullptr, &cursor, static_cast<long>(der_.size())));
    });
    if (!parsed.x509)
        throw Error("certificate " + subject_, "OpenSSL does not decode it as X.509 (" +
                                                   ossl::drain_errors() + ")",
                    {}, ReadFailure::bad_pem);
    return parsed.x509.get();
}

EVP_PKEY* Certificate::public_key() const {
    Parsed& parsed = *parsed_;
    std::call_once(parsed.key_once, [&] {
        const RawSpki& spki = *parsed.raw->tbs->key;
        if (const NamedCurve* curve = named_curve_of(spki)) {
            parsed.key = ec_key_from_point(*curve, spki.public_key);
            return;
        }
        EVP_PKEY* decoded = X509_get0_pubkey(get0());  // borrowed
        ossl::drain_errors();
        if (decoded) parsed.key = ossl::up_ref(decoded);
    });
    return parsed.key.get();
}

void Certificate::read_fields() {
    const RawTbs& tbs = *parsed_->raw->tbs;
    subject_ = name_to_string(tbs.subject);
    issuer_ = name_to_string(tbs.issuer);
    cn_ = first_entry(tbs.subject, NID_commonName);
    ou_ = first_entry(tbs.subject, NID_organizationalUnitName);
    o_ = first_entry(tbs.subject, NID_organizationName);
    issuer_cn_ = first_entry(tbs.issuer, NID_commonName);

    ossl::UniquePtr<BIGNUM> serial_bn(ASN1_INTEGER_to_BN(tbs.serial, nullptr));
    if (serial_bn) {
        char* hex = BN_bn2hex(serial_bn.get());
        std::string text = lower(hex ? hex : "");
        OPENSSL_free(hex);
        std::size_t first = text.find_first_not_of('0');
        serial_hex_ = first == std::string::npos ? "0" : text.substr(first);
        serial_bytes_ = static_cast<std::size_t>(ASN1_STRING_length(tbs.serial));
    }
    not_before_ = to_instant(tbs.validity->notBefore);
    not_after_ = to_instant(tbs.validity->notAfter);
    signature_algorithm_ = OBJ_nid2ln(OBJ_obj2nid(parsed_->raw->signature_algorithm->algorithm));
    read_key_facts();
    read_extensions();
}

void Certificate::read_key_facts() {
    const RawSpki* spki = parsed_->raw->tbs->key;
    unsigned char* spki_out = nullptr;
    int spki_length = ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(spki), &spki_out,
                                    ASN1_ITEM_rptr(RawSpki));
    if (spki_length > 0) {
        spki_der_.assign(spki_out, spki_out + spki_length);
        OPENSSL_free(spki_out);
    }
    spki_sha256_ = hex_encode(sha256(spki_der_.data(), spki_der_.size()));
    if (const NamedCurve* curve = named_curve_of(*spki)) {
        key_type_ = curve->key_type;
        key_bits_ = curve->bits;
        return;
    }
    EVP_PKEY* key = public_key();  // RSA and the rest: OpenSSL's decoder says what it is
    key_type_ = describe_key_type(key);
    key_bits_ = key ? EVP_PKEY_get_bits(key) : 0;
}

void Certificate::read_extensions() {
    const STACK_OF(X509_EXTENSION)* extensions = parsed_->raw->tbs->extensions;
    if (Decoded<GENERAL_NAMES, GENERAL_NAMES_free> sans{decode_extension<GENERAL_NAMES>(
            unique_extension(extensions, NID_subject_alt_name))}) {
        for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
            if (name->type == GEN_DNS) {
                const ASN1_STRING* dns = name->d.dNSName;
                dns_names_.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                        static_cast<std::size_t>(ASN1_STRING_length(dns)));
            } else {
                ++other_san_count_;
            }
        }
    }
    const X509_EXTENSION* bc_extension = unique_extension(extensions, NID_basic_constraints);
    if (Decoded<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc{
            decode_extension<BASIC_CONSTRAINTS>(bc_extension)}) {
        has_basic_constraints_ = true;
        basic_constraints_critical_ = X509_EXTENSION_get_critical(bc_extension) == 1;
        is_ca_ = bc->ca != 0;
        if (bc->pathlen) path_length_ = ASN1_INTEGER_get(bc->pathlen);
    }
    const X509_EXTENSION* ku_extension = unique_extension(extensions, NID_key_usage);
    if (Decoded<ASN1_BIT_STRING, ASN1_BIT_STRING_free> ku{
            decode_extension<ASN1_BIT_STRING>(ku_extension)}) {
        key_usage_.present = true;
        key_usage_.digital_signature = ASN1_BIT_STRING_get_bit(ku.get(), 0) == 1;
        key_usage_.key_encipherment = ASN1_BIT_STRING_get_bit(ku.get(), 2) == 1;
        key_usage_.cert_sign = ASN1_BIT_STRING_get_bit(ku.get(), 5) == 1;
        key_usage_.crl_sign = ASN1_BIT_STRING_get_bit(ku.get(), 6) == 1;
        key_usage_.critical = X509_EXTENSION_get_critical(ku_extension) == 1;
    }
    if (Decoded<EXTENDED_KEY_USAGE, free_eku> eku{decode_extension<EXTENDED_KEY_USAGE>(
            unique_extension(extensions, NID_ext_key_usage))}) {
        eku_.present = true;
        for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
            int purpose = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
            eku_.server_auth = eku_.server_auth || purpose == NID_server_auth;
            eku_.client_auth = eku_.client_auth || purpose == NID_client_auth;
        }
    }
    if (Decoded<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> ski{decode_extension<ASN1_OCTET_STRING>(
            unique_extension(extensions, NID_subject_key_identifier))})
        ski_ = octets_hex(ski.get());
    if (Decoded<AUTHORITY_KEYID, AUTHORITY_KEYID_free> aki{decode_extension<AUTHORITY_KEYID>(
            unique_extension(extensions, NID_authority_key_identifier))};
        aki && aki->keyid)
        aki_ = octets_hex(aki->keyid);
}

std::vector<std::string> Certificate::extension_names() const {
    const STACK_OF(X509_EXTENSION)* extensions = parsed_->raw->tbs->extensions;
    std::vector<std::string> names;
    for (int i = 0; i < X509v3_get_ext_count(extensions); ++i) {
        const X509_EXTENSION* ext = X509v3_get_ext(extensions, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)));
        names.emplace_back(nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
    }
    return names;
}

bool Certificate::subject_equals_issuer() const {
    const RawTbs& tbs = *parsed_->raw->tbs;
    return X509_NAME_cmp(tbs.subject, tbs.issuer) == 0;
}

bool Certificate::issued_by_name(const Certificate& parent) const {
    return X509_NAME_cmp(parsed_->raw->tbs->issuer, parent.parsed_->raw->tbs->subject) == 0;
}

// What X509_verify does, over the TBS bytes as received and with the parent's key built once:
// the inner and outer signature algorithms must agree, the key must be of the algorithm's type,
// and the signature must verify. Algorithms without a plain digest (RSA-PSS, Ed25519) are left to
// X509_verify itself.
bool Certificate::signature_verified_by(const Certificate& parent) const {
    EVP_PKEY* key = parent.public_key();  // borrowed
    if (key == nullptr) return false;
    const RawCert& raw = *parsed_->raw;
    auto [tbs, tbs_length] = tbs_bytes(der_);
    int digest_nid = NID_undef, key_nid = NID_undef;
    bool plain = tbs != nullptr &&
                 OBJ_find_sigid_algs(OBJ_obj2nid(raw.signature_algorithm->algorithm), &digest_nid,
                                     &key_nid) == 1 &&
                 digest_nid != NID_undef;
    bool ok = false;
    if (!plain) {
        ok = X509_verify(get0(), key) == 1;
    } else if (X509_ALGOR_cmp(raw.signature_algorithm, raw.tbs->signature) == 0 &&
               EVP_PKEY_get_base_id(key) == key_nid && (raw.signature->flags & 0x07) == 0) {
        ossl::UniquePtr<EVP_MD_CTX> context(EVP_MD_CTX_new());
        ok = context &&
             EVP_DigestVerifyInit_ex(context.get(), nullptr, OBJ_nid2sn(digest_nid), nullptr,
                                     nullptr, key, nullptr) == 1 &&
             EVP_DigestVerify(context.get(), ASN1_STRING_get0_data(raw.signature),
                              static_cast<std::size_t>(ASN1_STRING_length(raw.signature)), tbs,
                              tbs_length) == 1;
    }
    ossl::drain_errors();  // a failed verify leaves errors we report as a plain "no"
    return ok;
}

std::string Certificate::to_pem() const { return encode_pem("CERTIFICATE", der_); }

std::vector<Certificate> certificates_from_pem(const PemBundle& bundle, const std::string& path) {
    std::vector<Certificate> certs;
    certs.reserve(bundle.blocks.size());
    for (std::size_t i = 0; i < bundle.blocks.size(); ++i) {
        const PemBlock& block = bundle.blocks[i];
        std::string where = "block " + std::to_string(i + 1) + " (line " +
                            std::to_string(block.line) + ")";
        if (block.type != "CERTIFICATE")
            throw Error(path, where + " is a " + block.type + ", expected CERTIFICATE",
                        block.type.find("PRIVATE KEY") != std::string::npos
                            ? "a private key does not belong in a certificate file: remove it"
                            : "the file must hold certificates only",
                        ReadFailure::bad_pem);
        certs.push_back(Certificate::from_der(block.der, path + ": " + where));
    }
    return certs;
}

std::vector<Certificate> load_certificate_file(const std::string& path) {
    std::string text = read_file(path);
    return certificates_from_pem(parse_pem_or_throw(text, path), path);
}

}  // namespace swarmpki
