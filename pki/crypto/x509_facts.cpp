// The X.509 facts of x509_facts.hpp, for both certificate readers.
#include "x509_facts.hpp"

#include "swarmpki/encoding.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>
#include <ctime>

namespace swarmpki::x509_facts {

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

bool oid_is(const Tlv& oid, int nid) {
    if (!oid.is_universal(V_ASN1_OBJECT)) return false;
    const ASN1_OBJECT* known = OBJ_nid2obj(nid);
    auto size = static_cast<std::size_t>(OBJ_length(known));
    return static_cast<std::size_t>(oid.length) == size &&
           std::memcmp(oid.content, OBJ_get0_data(known), size) == 0;
}

std::string name_to_string(const X509_NAME* name) {
    ossl::UniquePtr<BIO> bio(ossl::check(BIO_new(BIO_s_mem()), "BIO_new"));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

namespace {

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

std::string octets_hex(const ASN1_OCTET_STRING* octets) {
    return hex_encode(ASN1_STRING_get0_data(octets),
                      static_cast<std::size_t>(ASN1_STRING_length(octets)));
}

// The one TLV that is all of [der, der + size), or nullopt: what the in-place readers below
// take; anything else (trailing bytes, BER) is left to OpenSSL's decoder.
std::optional<Tlv> whole_tlv(const unsigned char* der, std::size_t size) {
    const unsigned char* p = der;
    auto tlv = next_tlv(p, der + size);
    if (!tlv || p != der + size) return std::nullopt;
    return tlv;
}

}  // namespace

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

std::optional<Instant> to_instant(const ASN1_TIME* time) {
    struct tm parts {};
    if (ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(parts.tm_year + 1900),
                                    std::chrono::month(static_cast<unsigned>(parts.tm_mon + 1)),
                                    std::chrono::day(static_cast<unsigned>(parts.tm_mday))};
    return std::chrono::sys_days(ymd) + std::chrono::hours(parts.tm_hour) +
           std::chrono::minutes(parts.tm_min) + Seconds(parts.tm_sec);
}

std::optional<std::string> serial_hex(const Tlv& integer) {
    if (!integer.is_universal(V_ASN1_INTEGER) || integer.constructed || integer.length == 0)
        return std::nullopt;
    // A padding byte the value does not need is not DER, and OpenSSL's decoder refuses it.
    if (integer.length > 1 && ((integer.content[0] == 0x00 && (integer.content[1] & 0x80) == 0) ||
                               (integer.content[0] == 0xff && (integer.content[1] & 0x80) != 0)))
        return std::nullopt;
    if ((integer.content[0] & 0x80) != 0) {  // negative: rare enough for OpenSSL's decoder
        const unsigned char* p = integer.start;
        ossl::UniquePtr<ASN1_INTEGER> decoded(
            d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(integer.size())));
        if (!decoded) {
            ossl::drain_errors();
            return std::nullopt;
        }
        return serial_hex(decoded.get());
    }
    // Skip zero bytes, then at most one zero digit: no copy beyond the result.
    const unsigned char* p = integer.content;
    const unsigned char* end = integer.end();
    while (p + 1 < end && *p == 0) ++p;
    std::string hex = hex_encode(p, static_cast<std::size_t>(end - p));
    if (hex.size() > 1 && hex[0] == '0') hex.erase(0, 1);
    return hex;
}

std::string serial_hex(const ASN1_INTEGER* integer) {
    const unsigned char* data = ASN1_STRING_get0_data(integer);
    auto size = static_cast<std::size_t>(ASN1_STRING_length(integer));
    // OpenSSL keeps the magnitude and the sign apart; BN_bn2hex writes the magnitude a byte at a
    // time after the '-', and that is the form a negative serial has always had here.
    if (ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER) return "-" + hex_encode(data, size);
    std::size_t zeros = 0;
    while (zeros + 1 < size && data[zeros] == 0) ++zeros;
    std::string hex = hex_encode(data + zeros, size - zeros);
    if (hex.size() > 1 && hex[0] == '0') hex.erase(0, 1);
    return hex.empty() ? "0" : hex;
}

const X509_EXTENSION* unique_extension(const STACK_OF(X509_EXTENSION)* extensions, int nid) {
    int index = X509v3_get_ext_by_NID(extensions, nid, -1);
    if (index < 0 || X509v3_get_ext_by_NID(extensions, nid, index) >= 0) return nullptr;
    return X509v3_get_ext(extensions, index);
}

std::optional<BasicConstraints> read_basic_constraints(const unsigned char* der, std::size_t size) {
    // What the engine and `openssl req` write: SEQUENCE {} (a leaf) and SEQUENCE { TRUE }.
    static constexpr std::array<unsigned char, 2> kLeaf{0x30, 0x00};
    static constexpr std::array<unsigned char, 5> kCa{0x30, 0x03, 0x01, 0x01, 0xff};
    if (size == kLeaf.size() && std::memcmp(der, kLeaf.data(), size) == 0)
        return BasicConstraints{false, -1};
    if (size == kCa.size() && std::memcmp(der, kCa.data(), size) == 0)
        return BasicConstraints{true, -1};
    const unsigned char* p = der;
    ossl::UniquePtr<BASIC_CONSTRAINTS> decoded(
        d2i_BASIC_CONSTRAINTS(nullptr, &p, static_cast<long>(size)));
    if (!decoded) {
        ossl::drain_errors();
        return std::nullopt;
    }
    BasicConstraints out{decoded->ca != 0, -1};
    if (decoded->pathlen) out.path_length = ASN1_INTEGER_get(decoded->pathlen);
    return out;
}

std::optional<std::string> read_subject_key_id(const unsigned char* der, std::size_t size) {
    if (auto octets = whole_tlv(der, size);
        octets && octets->is_universal(V_ASN1_OCTET_STRING) && !octets->constructed)
        return hex_encode(octets->content, static_cast<std::size_t>(octets->length));
    const unsigned char* p = der;
    ossl::UniquePtr<ASN1_OCTET_STRING> decoded(
        d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(size)));
    if (!decoded) {
        ossl::drain_errors();
        return std::nullopt;
    }
    return octets_hex(decoded.get());
}

std::optional<std::string> read_authority_key_id(const unsigned char* der, std::size_t size) {
    // The engine's form: SEQUENCE { [0] keyIdentifier } and nothing else.
    if (auto seq = whole_tlv(der, size); seq && seq->is_universal(V_ASN1_SEQUENCE)) {
        const unsigned char* p = seq->content;
        auto keyid = next_tlv(p, seq->end());
        if (keyid && p == seq->end() && keyid->xclass == V_ASN1_CONTEXT_SPECIFIC &&
            keyid->tag == 0 && !keyid->constructed)
            return hex_encode(keyid->content, static_cast<std::size_t>(keyid->length));
    }
    const unsigned char* p = der;
    ossl::UniquePtr<AUTHORITY_KEYID> decoded(
        d2i_AUTHORITY_KEYID(nullptr, &p, static_cast<long>(size)));
    if (!decoded) {
        ossl::drain_errors();
        return std::nullopt;
    }
    if (!decoded->keyid) return std::nullopt;
    return octets_hex(decoded->keyid);
}

}  // namespace swarmpki::x509_facts
