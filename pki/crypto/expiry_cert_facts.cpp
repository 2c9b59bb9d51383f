// Reading a certificate's expiry facts with OpenSSL's ASN.1 primitives, without decoding its key
// (see expiry_cert_facts.hpp for why).
#include "expiry_cert_facts.hpp"

#include "ossl.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstring>

namespace swarmpki::expiry_detail {

std::optional<Tlv> next_tlv(const unsigned char*& cursor, const unsigned char* end) {
    if (cursor >= end) return std::nullopt;
    Tlv tlv;
    tlv.start = cursor;
    const unsigned char* p = cursor;
    int flags = ASN1_get_object(&p, &tlv.length, &tlv.tag, &tlv.xclass, end - cursor);
    // ASN1_get_object sets 0x80 on an error and 0x01 for an indefinite length, which it
    // reports as length 0: BER, not DER, and its content would look empty here.
    constexpr int kError = 0x80, kIndefinite = 0x01;
    if (flags & (kError | kIndefinite)) {
        ossl::drain_errors();
        return std::nullopt;
    }
    tlv.constructed = (flags & V_ASN1_CONSTRUCTED) != 0;
    tlv.content = p;
    if (tlv.end() > end) return std::nullopt;
    cursor = tlv.end();
    return tlv;
}

namespace {

std::string name_to_string(const X509_NAME* name) {
    ossl::UniquePtr<BIO> bio(ossl::check(BIO_new(BIO_s_mem()), "BIO_new"));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// The common case without a conversion: an ASCII UTF8String, PrintableString or IA5String is
// already its own UTF-8 (ASN1_STRING_to_UTF8 allocates and re-encodes byte by byte).
std::optional<std::string> ascii_as_is(const ASN1_STRING* value) {
    int type = ASN1_STRING_type(value);
    if (type != V_ASN1_UTF8STRING && type != V_ASN1_PRINTABLESTRING && type != V_ASN1_IA5STRING)
        return std::nullopt;
    const unsigned char* data = ASN1_STRING_get0_data(value);
    auto size = static_cast<std::size_t>(ASN1_STRING_length(value));
    for (std::size_t i = 0; i < size; ++i)
        if (data[i] >= 0x80) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(data), size);
}

std::string first_entry(const X509_NAME* name, int nid) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    if (auto ascii = ascii_as_is(value)) return std::move(*ascii);
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    ossl::Buffer<> owned(utf8);
    if (length < 0) return {};
    return std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
}

// A Name's facts: straight from the DER when it is plain, else decoded and printed by OpenSSL.
// nullopt when OpenSSL cannot decode it either.
std::optional<NameFacts> read_name(const Tlv& tlv) {
    auto size = static_cast<std::size_t>(tlv.end() - tlv.start);
    if (auto plain = read_plain_name(tlv.start, size)) return plain;
    const unsigned char* p = tlv.start;
    ossl::UniquePtr<X509_NAME> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(size)));
    if (!name) {
        ossl::drain_errors();
        return std::nullopt;
    }
    return NameFacts{name_to_string(name.get()), first_entry(name.get(), NID_commonName),
                     first_entry(name.get(), NID_organizationalUnitName),
                     first_entry(name.get(), NID_organizationName)};
}

std::optional<Instant> read_time(const Tlv& tlv) {
    const unsigned char* p = tlv.start;
    ossl::UniquePtr<ASN1_STRING> time(d2i_ASN1_TIME(nullptr, &p, tlv.end() - tlv.start));
    struct tm parts {};
    if (!time || ASN1_TIME_to_tm(time.get(), &parts) != 1) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(parts.tm_year + 1900),
                                    std::chrono::month(static_cast<unsigned>(parts.tm_mon + 1)),
                                    std::chrono::day(static_cast<unsigned>(parts.tm_mday))};
    return std::chrono::sys_days(ymd) + std::chrono::hours(parts.tm_hour) +
           std::chrono::minutes(parts.tm_min) + Seconds(parts.tm_sec);
}

// Serial as Certificate renders it: lowercase hex of the (positive) value, no leading zeros.
std::string serial_hex(const Tlv& tlv) {
    std::string hex = hex_encode(tlv.content, static_cast<std::size_t>(tlv.length));
    std::size_t first = hex.find_first_not_of('0');
    return first == std::string::npos ? "0" : hex.substr(first);
}

// BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
bool read_is_ca(const unsigned char* p, const unsigned char* end) {
    auto seq = next_tlv(p, end);
    if (!seq || seq->tag != V_ASN1_SEQUENCE) return false;
    const unsigned char* inner = seq->content;
    auto first = next_tlv(inner, seq->end());
    return first && first->tag == V_ASN1_BOOLEAN && first->length == 1 && first->content[0] != 0;
}

// AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
std::optional<std::string> read_aki(const unsigned char* p, const unsigned char* end) {
    auto seq = next_tlv(p, end);
    if (!seq || seq->tag != V_ASN1_SEQUENCE) return std::nullopt;
    const unsigned char* inner = seq->content;
    while (auto item = next_tlv(inner, seq->end()))
        if (item->xclass == V_ASN1_CONTEXT_SPECIFIC && item->tag == 0)
            return hex_encode(item->content, static_cast<std::size_t>(item->length));
    return std::nullopt;
}

std::optional<std::string> read_ski(const unsigned char* p, const unsigned char* end) {
    auto octets = next_tlv(p, end);
    if (!octets || octets->tag != V_ASN1_OCTET_STRING) return std::nullopt;
    return hex_encode(octets->content, static_cast<std::size_t>(octets->length));
}

// Is this OID content (the bytes inside the OBJECT IDENTIFIER) the one OpenSSL encodes for nid?
bool oid_is(const Tlv& oid, int nid) {
    const ASN1_OBJECT* known = OBJ_nid2obj(nid);
    auto size = static_cast<std::size_t>(OBJ_length(known));
    return static_cast<std::size_t>(oid.length) == size &&
           std::memcmp(oid.content, OBJ_get0_data(known), size) == 0;
}

// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING },
// framed with ASN1_get_object: decoding each one into an X509_EXTENSION (and freeing it) cost
// more than the three extensions read here.
void read_extensions(const Tlv& explicit3, CertFacts& facts) {
    const unsigned char* p = explicit3.content;
    auto list = next_tlv(p, explicit3.end());
    if (!list) return;
    const unsigned char* cursor = list->content;
    while (auto ext = next_tlv(cursor, list->end())) {
        if (ext->tag != V_ASN1_SEQUENCE) continue;
        const unsigned char* q = ext->content;
        auto oid = next_tlv(q, ext->end());
        auto value = next_tlv(q, ext->end());
        if (value && value->tag == V_ASN1_BOOLEAN) value = next_tlv(q, ext->end());
        if (!oid || oid->tag != V_ASN1_OBJECT || !value || value->tag != V_ASN1_OCTET_STRING)
            continue;
        const unsigned char* v = value->content;
        const unsigned char* v_end = value->end();
        if (oid_is(*oid, NID_basic_constraints)) facts.is_ca = read_is_ca(v, v_end);
        else if (oid_is(*oid, NID_subject_key_identifier))
            facts.subject_key_id = read_ski(v, v_end);
        else if (oid_is(*oid, NID_authority_key_identifier))
            facts.authority_key_id = read_aki(v, v_end);
    }
}

}  // namespace

Sha256Hasher::Sha256Hasher() : context_(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new")) {
    ossl::check(EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr), "SHA-256");
}

Sha256 Sha256Hasher::digest(const std::uint8_t* data, std::size_t size) {
    // A null type re-initialises the context with the digest it already holds: no fetch.
    ossl::check(EVP_DigestInit_ex(context_.get(), nullptr, nullptr), "SHA-256");
    ossl::check(EVP_DigestUpdate(context_.get(), data, size), "SHA-256");
    Sha256 out{};
    unsigned int length = 0;
    ossl::check(EVP_DigestFinal_ex(context_.get(), out.data(), &length), "SHA-256");
    return out;
}

const IssuerNameCache::Names* IssuerNameCache::find(std::string_view der) const {
    auto found = names_.find(der);
    return found == names_.end() ? nullptr : &found->second;
}

const IssuerNameCache::Names& IssuerNameCache::add(std::string_view der, Names names) {
    if (names_.size() >= kMaxEntries) names_.clear();  // a fleet has a handful of issuers
    return names_.insert_or_assign(std::string(der), std::move(names)).first->second;
}

std::optional<CertFacts> read_cert_facts(const Bytes& der, FactsScratch* scratch) {
    IssuerNameCache* issuers = scratch ? &scratch->issuers : nullptr;
    const unsigned char* p = der.data();
    const unsigned char* end = der.data() + der.size();
    auto cert = next_tlv(p, end);
    if (!cert || cert->tag != V_ASN1_SEQUENCE || p != end) return std::nullopt;
    const unsigned char* c = cert->content;
    auto tbs = next_tlv(c, cert->end());
    if (!tbs || tbs->tag != V_ASN1_SEQUENCE) return std::nullopt;

    const unsigned char* t = tbs->content;
    auto field = next_tlv(t, tbs->end());
    if (field && field->xclass == V_ASN1_CONTEXT_SPECIFIC && field->tag == 0)
        field = next_tlv(t, tbs->end());  // version
    auto serial = field;
    auto signature = next_tlv(t, tbs->end());
    auto issuer = next_tlv(t, tbs->end());
    auto validity = next_tlv(t, tbs->end());
    auto subject = next_tlv(t, tbs->end());
    auto spki = next_tlv(t, tbs->end());
    if (!serial || serial->tag != V_ASN1_INTEGER || !signature || !issuer || !validity ||
        !subject || !spki)
        return std::nullopt;

    CertFacts facts;
    auto subject_name = read_name(*subject);
    if (!subject_name) return std::nullopt;
    facts.subject = std::move(subject_name->rfc2253);
    facts.cn = std::move(subject_name->cn);
    facts.ou = std::move(subject_name->ou);
    facts.o = std::move(subject_name->o);
    std::string_view issuer_der(reinterpret_cast<const char*>(issuer->start),
                                static_cast<std::size_t>(issuer->end() - issuer->start));
    const IssuerNameCache::Names* names = issuers ? issuers->find(issuer_der) : nullptr;
    if (!names) {
        auto issuer_name = read_name(*issuer);
        if (!issuer_name) return std::nullopt;
        IssuerNameCache::Names rendered{std::move(issuer_name->rfc2253),
                                        std::move(issuer_name->cn)};
        if (!issuers) {
            facts.issuer = std::move(rendered.rfc2253);
            facts.issuer_cn = std::move(rendered.cn);
        } else {
            names = &issuers->add(issuer_der, std::move(rendered));
        }
    }
    if (names) {
        facts.issuer = names->rfc2253;
        facts.issuer_cn = names->cn;
    }
    facts.serial_hex = serial_hex(*serial);

    const unsigned char* v = validity->content;
    auto not_before = next_tlv(v, validity->end());
    auto not_after = next_tlv(v, validity->end());
    if (!not_before || !not_after) return std::nullopt;
    auto nb = read_time(*not_before);
    auto na = read_time(*not_after);
    if (!nb || !na) {
        ossl::drain_errors();
        return std::nullopt;
    }
    facts.not_before = *nb;
    facts.not_after = *na;
    auto spki_size = static_cast<std::size_t>(spki->end() - spki->start);
    facts.spki_sha256 = scratch ? scratch->hasher.hex(spki->start, spki_size)
                                : hex_encode(sha256(spki->start, spki_size));

    while (auto extra = next_tlv(t, tbs->end()))
        if (extra->xclass == V_ASN1_CONTEXT_SPECIFIC && extra->tag == 3)
            read_extensions(*extra, facts);
    return facts;
}

CertFacts facts_of(const Certificate& cert) {
    CertFacts f;
    f.subject = cert.subject();
    f.issuer = cert.issuer();
    f.cn = cert.common_name();
    f.ou = cert.organizational_unit();
    f.o = cert.organization();
    f.issuer_cn = cert.issuer_common_name();
    f.serial_hex = cert.serial_hex();
    f.spki_sha256 = cert.public_key_sha256();
    f.not_before = cert.not_before();
    f.not_after = cert.not_after();
    f.is_ca = cert.is_ca();
    f.subject_key_id = cert.subject_key_id();
    f.authority_key_id = cert.authority_key_id();
    return f;
}

}  // namespace swarmpki::expiry_detail
