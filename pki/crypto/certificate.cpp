#include "swarmpki/certificate.hpp"

#include "certificate_internal.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "x509_facts.hpp"

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <atomic>
#include <mutex>
#include <string_view>
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

template <typename T>
ossl::UniquePtr<T> decode_extension(const X509_EXTENSION* extension) {
    if (extension == nullptr) return nullptr;
    void* value = X509V3_EXT_d2i(const_cast<X509_EXTENSION*>(extension));
    if (value == nullptr) ossl::drain_errors();
    return ossl::UniquePtr<T>(static_cast<T*>(value));
}

// OpenSSL's name for the form of an encoded point of this curve ("uncompressed", "compressed"),
// or nullptr when it is neither at the curve's size (hybrid, empty, wrong length).
const char* point_form(const cert_detail::NamedCurve& curve, const unsigned char* point,
                       std::size_t length) {
    if (length == 1 + 2 * curve.field_bytes && point[0] == 0x04)
        return OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED;
    if (length == 1 + curve.field_bytes && (point[0] == 0x02 || point[0] == 0x03))
        return OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED;
    return nullptr;
}

// The curve of an id-ecPublicKey SPKI with a named curve and a well-formed point, else nullptr.
const cert_detail::NamedCurve* named_curve_of(const RawSpki& spki) {
    const ASN1_OBJECT* algorithm = nullptr;
    int parameter_type = 0;
    const void* parameter = nullptr;
    X509_ALGOR_get0(&algorithm, &parameter_type, &parameter, spki.algorithm);
    if (OBJ_obj2nid(algorithm) != NID_X9_62_id_ecPublicKey || parameter_type != V_ASN1_OBJECT)
        return nullptr;
    const cert_detail::NamedCurve* curve = cert_detail::named_curve(
        OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(parameter)));
    if (curve == nullptr) return nullptr;
    return point_form(*curve, ASN1_STRING_get0_data(spki.public_key),
                      static_cast<std::size_t>(ASN1_STRING_length(spki.public_key)))
               ? curve
               : nullptr;
}

// Where the TBSCertificate lies in a certificate's DER: `tbs` to `tbs + length`, its contents
// from `content`. All null unless the DER is one SEQUENCE, with definite lengths, that starts with
// a SEQUENCE.
struct TbsSpan {
    const unsigned char* tbs = nullptr;
    std::size_t length = 0;
    const unsigned char* content = nullptr;
};

TbsSpan tbs_span(const Bytes& der) {
    const unsigned char* p = der.data();
    const unsigned char* end = der.data() + der.size();
    auto cert = x509_facts::next_tlv(p, end);
    if (!cert || !cert->is_universal(V_ASN1_SEQUENCE) || p != end) return {};
    const unsigned char* c = cert->content;
    auto tbs = x509_facts::next_tlv(c, cert->end());
    if (!tbs || !tbs->is_universal(V_ASN1_SEQUENCE)) return {};
    return {tbs->start, tbs->size(), tbs->content};
}

// The TBSCertificate's signature AlgorithmIdentifier: after the optional [0] version and the
// serial number.
ossl::UniquePtr<X509_ALGOR> inner_algorithm(const TbsSpan& span) {
    const unsigned char* p = span.content;
    const unsigned char* end = span.tbs + span.length;
    auto field = x509_facts::next_tlv(p, end);
    if (field && field->xclass == V_ASN1_CONTEXT_SPECIFIC && field->tag == 0)
        field = x509_facts::next_tlv(p, end);
    if (!field || !field->is_universal(V_ASN1_INTEGER)) return nullptr;
    return ossl::UniquePtr<X509_ALGOR>(d2i_X509_ALGOR(nullptr, &p, end - p));
}

// A certificate time, or the error from_der turns into "not a valid X.509 certificate".
Instant to_instant(const ASN1_TIME* time) {
    if (auto instant = x509_facts::to_instant(time)) return *instant;
    throw ossl::Error("reading a certificate time");
}

// The extnValue contents of the extension with this NID when it occurs once (x509_facts' rule).
struct ExtensionBytes {
    const X509_EXTENSION* extension = nullptr;
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};
std::optional<ExtensionBytes> unique_extension_bytes(const STACK_OF(X509_EXTENSION)* extensions,
                                                     int nid) {
    const X509_EXTENSION* extension = x509_facts::unique_extension(extensions, nid);
    if (extension == nullptr) return std::nullopt;
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(
        const_cast<X509_EXTENSION*>(extension));
    return ExtensionBytes{extension, ASN1_STRING_get0_data(value),
                          static_cast<std::size_t>(ASN1_STRING_length(value))};
}

std::atomic<std::uint64_t> signature_checks{0};

// Why `key` (of `bits` bits) is not used to verify signatures; see kMaxVerificationKeyBits. An
// RSA check costs with the modulus squared and with the exponent's length, and the certificate
// that carries the key chooses both.
std::optional<std::string> verification_key_problem_of(EVP_PKEY* key, int bits) {
    if (key == nullptr) return std::nullopt;  // never verifies anything anyway
    bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    if (bits > kMaxVerificationKeyBits)
        return std::string(rsa ? "RSA" : "the") + " key of " + std::to_string(bits) +
               " bits is over the " + std::to_string(kMaxVerificationKeyBits) + "-bit limit";
    if (!rsa) return std::nullopt;
    BIGNUM* raw_exponent = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw_exponent) != 1) {
        ossl::drain_errors();
        return "the RSA key's public exponent cannot be read";
    }
    ossl::UniquePtr<BIGNUM> exponent(raw_exponent);
    if (BN_num_bits(exponent.get()) > kMaxRsaExponentBits)
        return "the RSA key's public exponent has " + std::to_string(BN_num_bits(exponent.get())) +
               " bits, over the " + std::to_string(kMaxRsaExponentBits) + "-bit limit";
    if (!BN_is_odd(exponent.get()) || BN_get_word(exponent.get()) < 3)
        return "the RSA key's public exponent " + std::to_string(BN_get_word(exponent.get())) +
               " is not an odd number of at least 3";
    return std::nullopt;
}

}  // namespace

namespace cert_detail {

namespace {

constexpr std::array<NamedCurve, 4> kNamedCurves{{
    {NID_X9_62_prime256v1, "ecdsa-p256", 256, 32},
    {NID_secp384r1, "ecdsa-p384", 384, 48},
    {NID_secp521r1, "ecdsa-p521", 521, 66},
    {NID_secp224r1, "ecdsa-p224", 224, 28},
}};

}  // namespace

const NamedCurve* named_curve(int nid) {
    for (const NamedCurve& curve : kNamedCurves)
        if (curve.nid == nid) return &curve;
    return nullptr;
}

int ec_curve_nid(EVP_PKEY* key) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) != 1)
        return NID_undef;
    int nid = OBJ_sn2nid(group);
    return nid != NID_undef ? nid : EC_curve_nist2nid(group);
}

ossl::UniquePtr<EVP_PKEY> ec_key_from_parts(const NamedCurve& curve, const EcKeyParts& parts) {
    const char* form = point_form(curve, parts.point, parts.point_length);
    if (form == nullptr || (parts.scalar != nullptr && parts.scalar_length == 0)) return nullptr;
    std::array<OSSL_PARAM, 5> params{};
    std::size_t count = 0;
    params[count++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                       const_cast<char*>(OBJ_nid2sn(curve.nid)), 0);
    params[count++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                        const_cast<unsigned char*>(parts.point),
                                                        parts.point_length);
    // Uncompressed is the default; a decoded key keeps the form its point was stored in.
    if (form != std::string_view(OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
        params[count++] = OSSL_PARAM_construct_utf8_string(
            OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, const_cast<char*>(form), 0);
    // An OSSL_PARAM integer is in the host's byte order and SEC1's scalar is big-endian: OpenSSL
    // converts (BN_bin2bn, BN_bn2nativepad), so the key is right on big-endian hosts too.
    ossl::UniquePtr<BIGNUM> scalar;
    SecretBytes native;
    if (parts.scalar != nullptr) {
        scalar.reset(BN_secure_new());
        Bytes buffer(parts.scalar_length);
        bool converted = scalar &&
                         BN_bin2bn(parts.scalar, static_cast<int>(parts.scalar_length),
                                   scalar.get()) != nullptr &&
                         BN_bn2nativepad(scalar.get(), buffer.data(),
                                         static_cast<int>(buffer.size())) >= 0;
        native = SecretBytes(std::move(buffer));  // wiped when it goes, whatever happens next
        if (!converted) {
            ossl::drain_errors();
            return nullptr;
        }
        params[count++] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY,
                                                  const_cast<unsigned char*>(native.data()),
                                                  native.size());
    }
    params[count] = OSSL_PARAM_construct_end();
    ossl::UniquePtr<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    int selection = parts.scalar != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
    if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &key, selection, params.data()) != 1) {
        ossl::drain_errors();
        return nullptr;
    }
    return ossl::UniquePtr<EVP_PKEY>(key);
}

std::optional<SignedParts> read_signed_parts(const Bytes& der) {
    TbsSpan span = tbs_span(der);
    SignedParts parts;
    if (span.tbs != nullptr) parts.inner_algorithm = inner_algorithm(span);
    if (!parts.inner_algorithm) {
        ossl::drain_errors();
        return std::nullopt;
    }
    const unsigned char* cursor = span.tbs + span.length;
    const unsigned char* end = der.data() + der.size();
    parts.algorithm.reset(d2i_X509_ALGOR(nullptr, &cursor, end - cursor));
    if (parts.algorithm) parts.signature.reset(d2i_ASN1_BIT_STRING(nullptr, &cursor, end - cursor));
    if (!parts.signature || cursor != end) {
        ossl::drain_errors();
        return std::nullopt;
    }
    parts.view = {span.tbs, span.length, parts.inner_algorithm.get(), parts.algorithm.get(),
                  parts.signature.get()};
    return parts;
}

std::optional<PlainAlgorithm> plain_algorithm(const X509_ALGOR* algorithm) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
    return plain_algorithm(OBJ_obj2nid(oid));
}

std::optional<PlainAlgorithm> plain_algorithm(int signature_nid) {
    PlainAlgorithm plain;
    plain.nid = signature_nid;
    if (signature_nid == NID_undef ||
        OBJ_find_sigid_algs(signature_nid, &plain.digest_nid, &plain.key_nid) != 1 ||
        plain.digest_nid == NID_undef)
        return std::nullopt;
    return plain;
}

bool prepare_verify(EVP_PKEY* key, const PlainAlgorithm& algorithm,
                    ossl::UniquePtr<EVP_PKEY_CTX>& verify, ossl::UniquePtr<EVP_MD_CTX>& digest) {
    const EVP_MD* md = EVP_get_digestbynid(algorithm.digest_nid);
    verify.reset(md != nullptr ? EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr) : nullptr);
    digest.reset(EVP_MD_CTX_new());
    // EVP_DigestInit_ex2 fetches the digest once; later inits with a null type reuse it.
    bool ok = verify && digest && EVP_PKEY_verify_init(verify.get()) == 1 &&
              EVP_PKEY_CTX_set_signature_md(verify.get(), md) == 1 &&
              EVP_DigestInit_ex2(digest.get(), md, nullptr) == 1;
    if (!ok) {
        verify.reset();
        digest.reset();
        ossl::drain_errors();
    }
    return ok;
}

Verdict verify_prepared(EVP_PKEY_CTX* verify, EVP_MD_CTX* digest, const PlainAlgorithm& algorithm,
                        const SignedView& signed_view) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, signed_view.algorithm);
    if (OBJ_obj2nid(oid) != algorithm.nid ||
        X509_ALGOR_cmp(signed_view.algorithm, signed_view.inner_algorithm) != 0)
        return Verdict::algorithms_disagree;
    if (EVP_PKEY_get_base_id(EVP_PKEY_CTX_get0_pkey(verify)) != algorithm.key_nid)
        return Verdict::wrong_key_type;
    if ((signed_view.signature->flags & 0x07) != 0) return Verdict::bad_signature;
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int hash_length = 0;
    ossl::check(EVP_DigestInit_ex2(digest, nullptr, nullptr) == 1 &&
                        EVP_DigestUpdate(digest, signed_view.tbs, signed_view.tbs_length) == 1 &&
                        EVP_DigestFinal_ex(digest, hash.data(), &hash_length) == 1
                    ? 1
                    : 0,
                "hashing a certificate");
    int verified = EVP_PKEY_verify(verify, ASN1_STRING_get0_data(signed_view.signature),
                                   static_cast<std::size_t>(
                                       ASN1_STRING_length(signed_view.signature)),
                                   hash.data(), hash_length);
    ossl::drain_errors();  // a failed verify leaves errors we report as a plain "no"
    return verified == 1 ? Verdict::verified : Verdict::bad_signature;
}

std::string describe(Verdict verdict) {
    switch (verdict) {
        case Verdict::verified: return "the signature verifies";
        case Verdict::algorithms_disagree:
            return "the signature algorithm differs from the one named inside the signed part";
        case Verdict::wrong_key_type:
            return "the signing certificate's key is not of the signature algorithm's type";
        case Verdict::bad_signature:
            return "signature does not verify under the signing certificate's key";
    }
    return "the signature does not verify";
}

}  // namespace cert_detail

std::string describe_key_type(EVP_PKEY* key) {
    if (key == nullptr) return "unknown";
    int bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC: {
            int curve = cert_detail::ec_curve_nid(key);
            if (curve == NID_undef) return "ecdsa";
            if (const cert_detail::NamedCurve* named = cert_detail::named_curve(curve))
                return named->key_type;
            return std::string("ecdsa-") + OBJ_nid2sn(curve);
        }
        case EVP_PKEY_RSA: return "rsa-" + std::to_string(bits);
        case EVP_PKEY_ED25519: return "ed25519";
        case EVP_PKEY_DSA: return "dsa-" + std::to_string(bits);
        default: return "unknown";
    }
}

struct Certificate::Parsed {
    ossl::ItemPtr<RawCert> raw;
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
    Bytes der = ossl::to_der(i2d_X509, handle.get(), "encoding a certificate");
    Certificate certificate = from_der(der, "a certificate");
    std::call_once(certificate.parsed_->x509_once,
                   [&] { certificate.parsed_->x509 = std::move(handle); });
    return certificate;
}

Certificate Certificate::from_der(const Bytes& der, const std::string& subject_for_errors) {
    const unsigned char* cursor = der.data();
    auto parsed = std::make_shared<Parsed>();
    parsed->raw = ossl::decode_item<RawCert>(&cursor, static_cast<long>(der.size()),
                                             ASN1_ITEM_rptr(RawCert));
    if (!parsed->raw) {
        std::string queue = ossl::drain_errors();
        throw Error(subject_for_errors,
                    "not a valid X.509 certificate" + (queue.empty() ? "" : " (" + queue + ")"), {},
                    ReadFailure::bad_pem);
    }
    if (cursor != der.data() + der.size())
        throw Error(subject_for_errors, "trailing bytes after the certificate", {},
                    ReadFailure::bad_pem);
    try {
        return Certificate(std::move(parsed), der);
    } catch (const ossl::Error& e) {
        // A field the ASN.1 templates accept but OpenSSL cannot read (a time with month 13):
        // the same one-line, subject-first error as DER that does not parse.
        throw Error(subject_for_errors,
                    std::string("not a valid X.509 certificate (") + e.what() + ")",
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
        throw Error("certificate " + subject_,
                    "OpenSSL does not decode it as X.509 (" + ossl::drain_errors() + ")", {},
                    ReadFailure::bad_pem);
    return parsed.x509.get();
}

EVP_PKEY* Certificate::public_key() const {
    Parsed& parsed = *parsed_;
    std::call_once(parsed.key_once, [&] {
        const RawSpki& spki = *parsed.raw->tbs->key;
        if (const cert_detail::NamedCurve* curve = named_curve_of(spki)) {
            parsed.key = cert_detail::ec_key_from_parts(
                *curve, {ASN1_STRING_get0_data(spki.public_key),
                         static_cast<std::size_t>(ASN1_STRING_length(spki.public_key))});
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
    subject_ = x509_facts::name_to_string(tbs.subject);
    issuer_ = x509_facts::name_to_string(tbs.issuer);
    cn_ = x509_facts::first_entry(tbs.subject, NID_commonName);
    ou_ = x509_facts::first_entry(tbs.subject, NID_organizationalUnitName);
    o_ = x509_facts::first_entry(tbs.subject, NID_organizationName);
    issuer_cn_ = x509_facts::first_entry(tbs.issuer, NID_commonName);
    serial_hex_ = x509_facts::serial_hex(tbs.serial);
    serial_bytes_ = static_cast<std::size_t>(ASN1_STRING_length(tbs.serial));
    not_before_ = to_instant(tbs.validity->notBefore);
    not_after_ = to_instant(tbs.validity->notAfter);
    signature_algorithm_ = OBJ_nid2ln(OBJ_obj2nid(parsed_->raw->signature_algorithm->algorithm));
    read_key_facts();
    read_extensions();
}

void Certificate::read_key_facts() {
    const RawSpki* spki = parsed_->raw->tbs->key;
    spki_der_ = ossl::to_der(spki, ASN1_ITEM_rptr(RawSpki));
    spki_sha256_ = hex_encode(sha256(spki_der_.data(), spki_der_.size()));
    if (const cert_detail::NamedCurve* curve = named_curve_of(*spki)) {
        key_type_ = curve->key_type;
        key_bits_ = curve->bits;
        return;
    }
    EVP_PKEY* key = public_key();  // RSA and the rest: OpenSSL's decoder says what it is
    key_type_ = describe_key_type(key);
    key_bits_ = key ? EVP_PKEY_get_bits(key) : 0;
    key_problem_ = verification_key_problem_of(key, key_bits_);
}

void Certificate::read_extensions() {
    const STACK_OF(X509_EXTENSION)* extensions = parsed_->raw->tbs->extensions;
    if (ossl::UniquePtr<GENERAL_NAMES> sans{decode_extension<GENERAL_NAMES>(
            x509_facts::unique_extension(extensions, NID_subject_alt_name))}) {
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
    if (auto bc_bytes = unique_extension_bytes(extensions, NID_basic_constraints)) {
        if (auto bc = x509_facts::read_basic_constraints(bc_bytes->data, bc_bytes->size)) {
            has_basic_constraints_ = true;
            basic_constraints_critical_ = X509_EXTENSION_get_critical(bc_bytes->extension) == 1;
            is_ca_ = bc->ca;
            path_length_ = bc->path_length;
        }
    }
    const X509_EXTENSION* ku_extension = x509_facts::unique_extension(extensions, NID_key_usage);
    if (ossl::UniquePtr<ASN1_BIT_STRING> ku{decode_extension<ASN1_BIT_STRING>(ku_extension)}) {
        key_usage_.present = true;
        key_usage_.digital_signature = ASN1_BIT_STRING_get_bit(ku.get(), 0) == 1;
        key_usage_.key_encipherment = ASN1_BIT_STRING_get_bit(ku.get(), 2) == 1;
        key_usage_.cert_sign = ASN1_BIT_STRING_get_bit(ku.get(), 5) == 1;
        key_usage_.crl_sign = ASN1_BIT_STRING_get_bit(ku.get(), 6) == 1;
        key_usage_.critical = X509_EXTENSION_get_critical(ku_extension) == 1;
    }
    if (ossl::UniquePtr<EXTENDED_KEY_USAGE> eku{decode_extension<EXTENDED_KEY_USAGE>(
            x509_facts::unique_extension(extensions, NID_ext_key_usage))}) {
        eku_.present = true;
        for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
            int purpose = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
            eku_.server_auth = eku_.server_auth || purpose == NID_server_auth;
            eku_.client_auth = eku_.client_auth || purpose == NID_client_auth;
        }
    }
    if (auto ski = unique_extension_bytes(extensions, NID_subject_key_identifier))
        ski_ = x509_facts::read_subject_key_id(ski->data, ski->size);
    if (auto aki = unique_extension_bytes(extensions, NID_authority_key_identifier))
        aki_ = x509_facts::read_authority_key_id(aki->data, aki->size);
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

// What X509_verify does (cert_detail::verify_prepared), over the TBS bytes as received and with
// the parent's key built once. Algorithms without a plain digest (RSA-PSS, Ed25519) are left to
// X509_verify itself.
bool Certificate::signature_verified_by(const Certificate& parent) const {
    if (parent.key_problem_) return false;
    EVP_PKEY* key = parent.public_key();  // borrowed
    if (key == nullptr) return false;
    signature_checks.fetch_add(1, std::memory_order_relaxed);
    const RawCert& raw = *parsed_->raw;
    TbsSpan span = tbs_span(der_);
    std::optional<cert_detail::PlainAlgorithm> algorithm = cert_detail::plain_algorithm(
        raw.signature_algorithm);
    bool ok = false;
    if (!algorithm || span.tbs == nullptr) {
        ok = X509_verify(get0(), key) == 1;
    } else {
        ossl::UniquePtr<EVP_PKEY_CTX> verify;
        ossl::UniquePtr<EVP_MD_CTX> digest;
        cert_detail::SignedView view{span.tbs, span.length, raw.tbs->signature,
                                     raw.signature_algorithm, raw.signature};
        ok = cert_detail::prepare_verify(key, *algorithm, verify, digest) &&
             cert_detail::verify_prepared(verify.get(), digest.get(), *algorithm, view) ==
                 cert_detail::Verdict::verified;
    }
    ossl::drain_errors();  // a failed verify leaves errors we report as a plain "no"
    return ok;
}

std::uint64_t signature_checks_performed() {
    return signature_checks.load(std::memory_order_relaxed);
}

std::string Certificate::to_pem() const { return encode_pem("CERTIFICATE", der_); }

std::optional<std::string> name_from_der(const Bytes& der) {
    const unsigned char* p = der.data();
    ossl::UniquePtr<X509_NAME> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
    if (!name || p != der.data() + der.size()) {
        ossl::drain_errors();
        return std::nullopt;
    }
    return x509_facts::name_to_string(name.get());
}

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
        certs.push_back(
            Certificate::from_der(block.der, std::string(path).append(": ").append(where)));
    }
    return certs;
}

std::vector<Certificate> chain_certificates_from_pem(const PemBundle& bundle,
                                                     const std::string& path) {
    if (bundle.blocks.size() > kMaxChainFileCertificates)
        throw Error(path,
                    "holds " + std::to_string(bundle.blocks.size()) +
                        " PEM blocks; a chain or "
                        "trust-root file may hold at most " +
                        std::to_string(kMaxChainFileCertificates),
                    "the engine writes the node certificate and at most a few intermediates, and "
                    "one root: restore the file from the node or `docker swarm ca`",
                    ReadFailure::bad_pem);
    return certificates_from_pem(bundle, path);
}

std::vector<Certificate> load_certificate_file(const std::string& path) {
    std::string text = read_file(path);
    return chain_certificates_from_pem(parse_pem_or_throw(text, path), path);
}

}  // namespace swarmpki
