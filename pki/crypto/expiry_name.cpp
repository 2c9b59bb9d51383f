// Reading a certificate Name's expiry facts straight from its DER when every attribute is plain
// (see read_plain_name in expiry_cert_facts.hpp).
//
// Why: d2i_X509_NAME builds a stack of entries plus a canonical re-encoding of the whole name,
// and X509_NAME_print_ex writes through a BIO character by character; for a fleet scan that was
// about 40% of the instructions per leaf. A swarm leaf's subject is three plain ASCII attributes,
// for which the RFC 2253 string is just the values joined in reverse, so nothing is decoded or
// converted; anything that would need OpenSSL's escaping, conversion or dumping is refused here
// and goes the OpenSSL way (tests compare both on every fixture and on hostile names).
#include "expiry_cert_facts.hpp"

#include "ossl.hpp"
#include "x509_facts.hpp"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <array>
#include <cstring>

namespace swarmpki::expiry_detail {

namespace {

// The attribute types printed by their short name; the first three are the ones a swarm leaf
// carries and the facts keep.
constexpr std::array kPlainTypes = {NID_commonName,          NID_organizationalUnitName,
                                    NID_organizationName,    NID_countryName,
                                    NID_stateOrProvinceName, NID_localityName,
                                    NID_domainComponent,     NID_pkcs9_emailAddress,
                                    NID_serialNumber};

// The NID of a plain attribute type from its OID content, or NID_undef.
int plain_type(const Tlv& oid) {
    for (int nid : kPlainTypes)
        if (x509_facts::oid_is(oid, nid)) return nid;
    return NID_undef;
}

bool plain_string_type(int tag) {
    return tag == V_ASN1_UTF8STRING || tag == V_ASN1_PRINTABLESTRING || tag == V_ASN1_IA5STRING;
}

// Printable ASCII that X509_NAME_print_ex's RFC 2253 flags print as is.
bool prints_as_is(const unsigned char* data, std::size_t size) {
    if (size > 0 && (data[0] == '#' || data[0] == ' ' || data[size - 1] == ' ')) return false;
    for (std::size_t i = 0; i < size; ++i) {
        unsigned char c = data[i];
        if (c < 0x20 || c > 0x7e) return false;
        switch (c) {
            case ',':
            case '+':
            case '"':
            case '\\':
            case '<':
            case '>':
            case ';': return false;
            default: break;
        }
    }
    return true;
}

struct Attribute {
    int nid = NID_undef;
    std::size_t rdn = 0;  // which RDN (SET) it belongs to
    const unsigned char* value = nullptr;
    std::size_t size = 0;
};

// Names with more attributes than this are not a swarm leaf's: OpenSSL handles them.
constexpr std::size_t kMaxAttributes = 16;

// AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }, plain or nothing.
std::optional<Attribute> read_attribute(const Tlv& atv, std::size_t rdn) {
    if (atv.xclass != V_ASN1_UNIVERSAL || atv.tag != V_ASN1_SEQUENCE || !atv.constructed)
        return std::nullopt;
    const unsigned char* p = atv.content;
    auto oid = next_tlv(p, atv.end());
    auto value = next_tlv(p, atv.end());
    if (!oid || !value || p != atv.end() || oid->xclass != V_ASN1_UNIVERSAL ||
        oid->tag != V_ASN1_OBJECT || oid->constructed || value->xclass != V_ASN1_UNIVERSAL ||
        value->constructed || !plain_string_type(value->tag))
        return std::nullopt;
    Attribute attribute{plain_type(*oid), rdn, value->content,
                        static_cast<std::size_t>(value->length)};
    if (attribute.nid == NID_undef || !prints_as_is(attribute.value, attribute.size))
        return std::nullopt;
    return attribute;
}

std::string first_value(const Attribute* attributes, std::size_t count, int nid) {
    for (std::size_t i = 0; i < count; ++i)
        if (attributes[i].nid == nid)
            return std::string(reinterpret_cast<const char*>(attributes[i].value),
                               attributes[i].size);
    return {};
}

}  // namespace

std::optional<NameFacts> read_plain_name(const unsigned char* der, std::size_t size) {
    const unsigned char* p = der;
    const unsigned char* end = der + size;
    auto name = next_tlv(p, end);
    if (!name || p != end || name->xclass != V_ASN1_UNIVERSAL || name->tag != V_ASN1_SEQUENCE ||
        !name->constructed)
        return std::nullopt;

    std::array<Attribute, kMaxAttributes> attributes;
    std::size_t count = 0, rdns = 0;
    const unsigned char* cursor = name->content;
    while (cursor < name->end()) {
        auto rdn = next_tlv(cursor, name->end());
        if (!rdn || rdn->xclass != V_ASN1_UNIVERSAL || rdn->tag != V_ASN1_SET ||
            !rdn->constructed || rdn->length == 0)
            return std::nullopt;
        const unsigned char* q = rdn->content;
        while (q < rdn->end()) {
            auto atv = next_tlv(q, rdn->end());
            if (!atv || count == kMaxAttributes) return std::nullopt;
            auto attribute = read_attribute(*atv, rdns);
            if (!attribute) return std::nullopt;
            attributes[count++] = *attribute;
        }
        ++rdns;
    }

    NameFacts facts;
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i)
        length += std::strlen(OBJ_nid2sn(attributes[i].nid)) + 2 + attributes[i].size;
    facts.rfc2253.reserve(length);
    // Reverse order, as XN_FLAG_DN_REV prints it (inside a multi-valued RDN too).
    for (std::size_t i = count; i-- > 0;) {
        const Attribute& a = attributes[i];
        if (i + 1 < count) facts.rfc2253 += attributes[i + 1].rdn == a.rdn ? '+' : ',';
        facts.rfc2253 += OBJ_nid2sn(a.nid);
        facts.rfc2253 += '=';
        facts.rfc2253.append(reinterpret_cast<const char*>(a.value), a.size);
    }
    facts.cn = first_value(attributes.data(), count, NID_commonName);
    facts.ou = first_value(attributes.data(), count, NID_organizationalUnitName);
    facts.o = first_value(attributes.data(), count, NID_organizationName);
    return facts;
}

}  // namespace swarmpki::expiry_detail
