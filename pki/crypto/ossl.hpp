// One header of RAII aliases for OpenSSL handles.
//
// Every OpenSSL object the project owns lives in an `ossl::UniquePtr<T>`, every buffer OpenSSL
// allocates for us in an `ossl::Buffer`, and every value decoded with an ASN.1 template of our own
// in an `ossl::ItemPtr`; no other file calls a `*_free` function (ossl.cpp and ossl_ssl.cpp are
// the only ones that do), so an exception between allocation and release cannot leak. Ownership
// words follow OpenSSL: `get0` borrows (a raw pointer, named as borrowed), `get1`/`new` return an
// owned pointer that goes straight into a UniquePtr, and `up_ref` turns a borrowed pointer into
// an owned one. ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING and ASN1_BIT_STRING are all
// ASN1_STRING to OpenSSL, so they share one deleter; EXTENDED_KEY_USAGE is a stack of
// ASN1_OBJECT and is freed as one.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/ossl.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/encoding.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/handle.hpp"

#include <openssl/types.h>
#include <openssl/x509.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct stack_st_GENERAL_NAME;  // GENERAL_NAMES, from openssl/x509v3.h
struct stack_st_ASN1_OBJECT;   // EXTENDED_KEY_USAGE, from openssl/x509v3.h
struct BASIC_CONSTRAINTS_st;   // BASIC_CONSTRAINTS, from openssl/x509v3.h
struct AUTHORITY_KEYID_st;     // AUTHORITY_KEYID, from openssl/x509v3.h

namespace swarmpki::ossl {

// Deleter, UniquePtr and the deleters of X509, X509_EXTENSION, EVP_PKEY and EVP_PKEY_CTX are in
// swarmpki/handle.hpp (the handles public headers own).
#define SWARMPKI_DECLARE_DELETER(T)                \
    template <>                                    \
    struct Deleter<T> {                            \
        void operator()(T* handle) const noexcept; \
    }

SWARMPKI_DECLARE_DELETER(X509_NAME);
SWARMPKI_DECLARE_DELETER(X509_NAME_ENTRY);
SWARMPKI_DECLARE_DELETER(stack_st_GENERAL_NAME);  // GENERAL_NAMES
SWARMPKI_DECLARE_DELETER(stack_st_ASN1_OBJECT);   // EXTENDED_KEY_USAGE, its objects with it
SWARMPKI_DECLARE_DELETER(BASIC_CONSTRAINTS_st);
SWARMPKI_DECLARE_DELETER(AUTHORITY_KEYID_st);
SWARMPKI_DECLARE_DELETER(X509_STORE);
SWARMPKI_DECLARE_DELETER(X509_STORE_CTX);
SWARMPKI_DECLARE_DELETER(X509_SIG);
SWARMPKI_DECLARE_DELETER(X509_REQ);
SWARMPKI_DECLARE_DELETER(X509_ALGOR);
SWARMPKI_DECLARE_DELETER(EVP_MD_CTX);
SWARMPKI_DECLARE_DELETER(EVP_CIPHER_CTX);
SWARMPKI_DECLARE_DELETER(EVP_CIPHER);  // fetched ones; EVP_aes_256_cbc() and kin are static
SWARMPKI_DECLARE_DELETER(EVP_MAC);
SWARMPKI_DECLARE_DELETER(EVP_MAC_CTX);
SWARMPKI_DECLARE_DELETER(BIO);
SWARMPKI_DECLARE_DELETER(BIGNUM);
SWARMPKI_DECLARE_DELETER(BN_CTX);
SWARMPKI_DECLARE_DELETER(ASN1_STRING);
SWARMPKI_DECLARE_DELETER(ASN1_OBJECT);
SWARMPKI_DECLARE_DELETER(PKCS8_PRIV_KEY_INFO);
SWARMPKI_DECLARE_DELETER(SSL_CTX);
SWARMPKI_DECLARE_DELETER(SSL);
SWARMPKI_DECLARE_DELETER(OSSL_LIB_CTX);

#undef SWARMPKI_DECLARE_DELETER

// Bytes OpenSSL allocated for us (i2d_*, ASN1_STRING_to_UTF8, BN_bn2hex, OPENSSL_memdup), freed
// with OPENSSL_free.
struct BufferDeleter {
    void operator()(void* buffer) const noexcept;
};
template <typename T = unsigned char>
using Buffer = std::unique_ptr<T, BufferDeleter>;

// A value decoded (ASN1_item_d2i, ASN1_item_unpack) with an ASN.1 template: it is freed through
// the same template, which the deleter carries.
struct ItemDeleter {
    const ASN1_ITEM* item = nullptr;
    void operator()(void* value) const noexcept;
};
template <typename T>
using ItemPtr = std::unique_ptr<T, ItemDeleter>;

// The value ASN1_item_d2i decodes from `size` bytes at `*cursor` (advanced past it), or null.
template <typename T>
ItemPtr<T> decode_item(const unsigned char** cursor, long size, const ASN1_ITEM* item) {
    return ItemPtr<T>(reinterpret_cast<T*>(ASN1_item_d2i(nullptr, cursor, size, item)),
                      ItemDeleter{item});
}

// Owned references from borrowed pointers (X509_up_ref / EVP_PKEY_up_ref).
UniquePtr<X509> up_ref(X509* borrowed);
UniquePtr<EVP_PKEY> up_ref(EVP_PKEY* borrowed);

// Everything on this thread's OpenSSL error queue as one line ("a; b; c"), emptying the queue.
std::string drain_errors();

// A failed OpenSSL call: what we were doing, plus the drained error queue, as the problem of a
// swarmpki::Error (no subject: the caller that knows the file adds it), so that one catch of
// swarmpki::Error covers library and OpenSSL failures alike.
class Error : public swarmpki::Error {
public:
    explicit Error(std::string_view what_we_did);
};

// Check the return value first, then drain the queue into the message, in one place.
template <typename T>
T* check(T* result, std::string_view what_we_did) {
    if (result == nullptr) throw Error(what_we_did);
    return result;
}
inline int check(int result, std::string_view what_we_did) {
    if (result <= 0) throw Error(what_we_did);
    return result;
}

// Whether an encoding holds a secret (a private key): its OpenSSL buffer is then wiped before it
// is freed (OPENSSL_clear_free); the returned copy is the caller's to wipe.
enum class Contents { plain, secret };

namespace detail {
Bytes take_der(unsigned char* der, int length, Contents contents, std::string_view what_we_did);
}  // namespace detail

// The DER of a handle through one of OpenSSL's i2d functions (i2d_X509, i2d_PUBKEY, ...), the
// buffer OpenSSL allocates owned from the start; throws Error(what_we_did) when it cannot encode.
template <typename T, typename Handle>
Bytes to_der(int (*i2d)(T*, unsigned char**), Handle* handle, std::string_view what_we_did,
             Contents contents = Contents::plain) {
    unsigned char* der = nullptr;
    int length = i2d(handle, &der);
    return detail::take_der(der, length, contents, what_we_did);
}

// The same into `out`, whose capacity a caller encoding many values reuses (no allocation once it
// is large enough): OpenSSL measures, then writes into our buffer.
template <typename T, typename Handle>
void to_der(int (*i2d)(T*, unsigned char**), Handle* handle, Bytes& out,
            std::string_view what_we_did) {
    int length = check(i2d(handle, nullptr), what_we_did);
    out.resize(static_cast<std::size_t>(length));
    unsigned char* cursor = out.data();
    if (i2d(handle, &cursor) != length) throw Error(what_we_did);
}

// The DER of a value of an ASN.1 template (ASN1_item_i2d); empty when OpenSSL cannot encode it.
Bytes to_der(const void* value, const ASN1_ITEM* item);

}  // namespace swarmpki::ossl
