// The OpenSSL handles the public API passes around, as opaque types.
//
// A Certificate, a PrivateKey or a CA engine hands out X509 and EVP_PKEY pointers (borrowed) and
// owns some in ossl::UniquePtr. They are declared here exactly as openssl/types.h and
// openssl/x509.h declare them, so no public header includes an OpenSSL header and a caller of the
// library (tools/) needs none: only the crypto layer (pki/crypto, through its internal ossl.hpp)
// and the service layer's TLS call OpenSSL on them. Deleters are defined in pki/crypto/ossl.cpp.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/handle.hpp is crypto layer (2); the util layer may not include it"
#endif

#include <memory>

typedef struct x509_st X509;
typedef struct X509_extension_st X509_EXTENSION;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

namespace swarmpki::ossl {

template <typename T>
struct Deleter;

// The handles a public header owns; every other deleter is declared in pki/crypto/ossl.hpp.
template <>
struct Deleter<X509> {
    void operator()(X509* handle) const noexcept;
};
template <>
struct Deleter<X509_EXTENSION> {
    void operator()(X509_EXTENSION* handle) const noexcept;
};
template <>
struct Deleter<EVP_PKEY> {
    void operator()(EVP_PKEY* handle) const noexcept;
};
template <>
struct Deleter<EVP_PKEY_CTX> {
    void operator()(EVP_PKEY_CTX* handle) const noexcept;
};

template <typename T>
using UniquePtr = std::unique_ptr<T, Deleter<T>>;

}  // namespace swarmpki::ossl
