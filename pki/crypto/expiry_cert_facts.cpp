// Reading a certificate's expiry facts with OpenSSL's ASN.1 primitives, without decoding its key
// (see expiry_cert_facts.hpp for why).
#include "expiry_cert_facts.hpp"

#include "ossl.hpp"
#include "x509_facts.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace swarmpki::expiry_detail {

namespace {

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
    return NameFacts{x509_facts::name_to_string(name.get()),
                     x509_facts::first_entry(name.get(), NID_commonName),
                     x509_facts::first_entry(name.get(), NID_organizationalUnitName),
                     x509_facts::first_entry(name.get(), NID_organizationName)};
}

std::optional<Instant> read_time(const Tlv& tlv) {
    const unsigned char* p = tlv.start;
    ossl::UniquePtr<ASN1_STRING> time(d2i_ASN1_TIME(nullptr, &p, tlv.end() - tlv.start));
    if (!time) return std::nullopt;
    return x509_facts::to_instant(time.get());
}

// Where the three extensions the facts need lie, each with how often it occurs.
struct FactExtensions {
    x509_facts::ExtensionValue basic_constraints, subject_key_id, authority_key_id;
};

// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING },
// framed with next_tlv: decoding each one into an X509_EXTENSION (and freeing it) cost more than
// the three extensions read here.
void find_extensions(const Tlv& explicit3, FactExtensions& found) {
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
        if (x509_facts::oid_is(*oid, NID_basic_constraints)) found.basic_constraints.saw(*value);
        else if (x509_facts::oid_is(*oid, NID_subject_key_identifier))
            found.subject_key_id.saw(*value);
        else if (x509_facts::oid_is(*oid, NID_authority_key_identifier))
            found.authority_key_id.saw(*value);
    }
}

// x509_facts' decoders, under its rule that a repeated extension is absent.
void read_extensions(const FactExtensions& found, CertFacts& facts) {
    if (const auto& bc = found.basic_constraints; bc.unique())
        if (auto constraints = x509_facts::read_basic_constraints(bc.data, bc.size))
            facts.is_ca = constraints->ca;
    if (const auto& ski = found.subject_key_id; ski.unique())
        facts.subject_key_id = x509_facts::read_subject_key_id(ski.data, ski.size);
    if (const auto& aki = found.authority_key_id; aki.unique())
        facts.authority_key_id = x509_facts::read_authority_key_id(aki.data, aki.size);
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
    auto serial_text = x509_facts::serial_hex(*serial);
    if (!serial_text) return std::nullopt;
    facts.serial_hex = std::move(*serial_text);

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

    // issuerUniqueID [1], subjectUniqueID [2], extensions [3], each at most once and in order, as
    // the full reader's template requires: anything else is its to refuse.
    FactExtensions found;
    int last_tag = 0;
    while (t < tbs->end()) {
        auto extra = next_tlv(t, tbs->end());
        if (!extra || extra->xclass != V_ASN1_CONTEXT_SPECIFIC || extra->tag <= last_tag ||
            extra->tag > 3)
            return std::nullopt;
        last_tag = extra->tag;
        if (extra->tag == 3) find_extensions(*extra, found);
    }
    read_extensions(found, facts);
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
