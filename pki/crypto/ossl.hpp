// One header of RAII aliases for OpenSSL handles.
//
// Every OpenSSL object the project owns lives in an `ossl::UniquePtr<T>`; no other file calls a
// `*_free` function. Ownership words follow OpenSSL: `get0` borrows (a raw pointer, named as
// borrowed), `get1`/`new` return an owned pointer that goes straight into a UniquePtr, and
// `up_ref` turns a borrowed pointer into an owned one. ASN1_INTEGER, ASN1_TIME and
// ASN1_OCTET_STRING are all ASN1_STRING to OpenSSL, so they share one deleter.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/ossl.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/handle.hpp"

#include <openssl/types.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct stack_st_GENERAL_NAME;  // GENERAL_NAMES, from openssl/x509v3.h

namespace swarmpki::ossl {

// Deleter, UniquePtr and the deleters of X509, X509_EXTENSION, EVP_PKEY and EVP_PKEY_CTX are in
// swarmpki/handle.hpp (the handles public headers own).
#define SWARMPKI_DECLARE_DELETER(T)                   \
    template <>                                       \
    struct Deleter<T> {                               \
        void operator()(T* handle) const noexcept;   \
    }

SWARMPKI_DECLARE_DELETER(X509_NAME);
SWARMPKI_DECLARE_DELETER(X509_NAME_ENTRY);
SWARMPKI_DECLARE_DELETER(stack_st_GENERAL_NAME);  // GENERAL_NAMES
SWARMPKI_DECLARE_DELETER(X509_STORE);
SWARMPKI_DECLARE_DELETER(X509_STORE_CTX);
SWARMPKI_DECLARE_DELETER(X509_SIG);
SWARMPKI_DECLARE_DELETER(X509_REQ);
SWARMPKI_DECLARE_DELETER(X509_ALGOR);
SWARMPKI_DECLARE_DELETER(EVP_MD_CTX);
SWARMPKI_DECLARE_DELETER(EVP_CIPHER_CTX);
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

// Owned references from borrowed pointers (X509_up_ref / EVP_PKEY_up_ref).
UniquePtr<X509> up_ref(X509* borrowed);
UniquePtr<EVP_PKEY> up_ref(EVP_PKEY* borrowed);

// Everything on this thread's OpenSSL error queue as one line ("a; b; c"), emptying the queue.
std::string drain_errors();

// A failed OpenSSL call: what we were doing, plus the drained error queue.
class Error : public std::runtime_error {
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

}  // namespace swarmpki::ossl
