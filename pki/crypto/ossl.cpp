// The only place where OpenSSL objects and buffers are freed: one deleter per type, one for
// OpenSSL's allocations and one for template-decoded values (libssl's two are in ossl_ssl.cpp, so
// that only the binary that serves TLS links libssl).
#include "ossl.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace swarmpki::ossl {

#define SWARMPKI_DEFINE_DELETER(T, free_fn) \
    void Deleter<T>::operator()(T* handle) const noexcept { free_fn(handle); }

SWARMPKI_DEFINE_DELETER(X509, X509_free)
SWARMPKI_DEFINE_DELETER(X509_NAME, X509_NAME_free)
SWARMPKI_DEFINE_DELETER(X509_NAME_ENTRY, X509_NAME_ENTRY_free)
SWARMPKI_DEFINE_DELETER(X509_EXTENSION, X509_EXTENSION_free)
SWARMPKI_DEFINE_DELETER(stack_st_GENERAL_NAME, GENERAL_NAMES_free)
SWARMPKI_DEFINE_DELETER(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free)
SWARMPKI_DEFINE_DELETER(AUTHORITY_KEYID, AUTHORITY_KEYID_free)
SWARMPKI_DEFINE_DELETER(X509_STORE, X509_STORE_free)
SWARMPKI_DEFINE_DELETER(X509_STORE_CTX, X509_STORE_CTX_free)
SWARMPKI_DEFINE_DELETER(X509_SIG, X509_SIG_free)
SWARMPKI_DEFINE_DELETER(X509_REQ, X509_REQ_free)
SWARMPKI_DEFINE_DELETER(X509_ALGOR, X509_ALGOR_free)
SWARMPKI_DEFINE_DELETER(EVP_PKEY, EVP_PKEY_free)
SWARMPKI_DEFINE_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
SWARMPKI_DEFINE_DELETER(EVP_MD_CTX, EVP_MD_CTX_free)
SWARMPKI_DEFINE_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
SWARMPKI_DEFINE_DELETER(EVP_CIPHER, EVP_CIPHER_free)
SWARMPKI_DEFINE_DELETER(EVP_MAC, EVP_MAC_free)
SWARMPKI_DEFINE_DELETER(EVP_MAC_CTX, EVP_MAC_CTX_free)
SWARMPKI_DEFINE_DELETER(BIO, BIO_free_all)
SWARMPKI_DEFINE_DELETER(BIGNUM, BN_clear_free)
SWARMPKI_DEFINE_DELETER(BN_CTX, BN_CTX_free)
SWARMPKI_DEFINE_DELETER(ASN1_STRING, ASN1_STRING_free)
SWARMPKI_DEFINE_DELETER(ASN1_OBJECT, ASN1_OBJECT_free)
SWARMPKI_DEFINE_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
SWARMPKI_DEFINE_DELETER(OSSL_LIB_CTX, OSSL_LIB_CTX_free)

#undef SWARMPKI_DEFINE_DELETER

void Deleter<stack_st_ASN1_OBJECT>::operator()(stack_st_ASN1_OBJECT* handle) const noexcept {
    sk_ASN1_OBJECT_pop_free(handle, ASN1_OBJECT_free);
}

void BufferDeleter::operator()(void* buffer) const noexcept { OPENSSL_free(buffer); }

void ItemDeleter::operator()(void* value) const noexcept {
    ASN1_item_free(static_cast<ASN1_VALUE*>(value), item);
}

namespace detail {
Bytes take_der(unsigned char* der, int length, Contents contents, std::string_view what_we_did) {
    // Owned before anything can throw; wiped first when it is a key.
    auto release = [contents, length](unsigned char* buffer) {
        if (contents == Contents::secret && length > 0)
            OPENSSL_clear_free(buffer, static_cast<std::size_t>(length));
        else OPENSSL_free(buffer);
    };
    std::unique_ptr<unsigned char, decltype(release)> owned(der, release);
    check(der != nullptr ? length : 0, what_we_did);
    return Bytes(der, der + length);
}
}  // namespace detail

Bytes to_der(const void* value, const ASN1_ITEM* item) {
    unsigned char* der = nullptr;
    int length = ASN1_item_i2d(static_cast<const ASN1_VALUE*>(value), &der, item);
    Buffer<> owned(der);
    if (length <= 0 || der == nullptr) return {};
    return Bytes(der, der + length);
}

UniquePtr<X509> up_ref(X509* borrowed) {
    if (borrowed == nullptr || X509_up_ref(borrowed) != 1) return nullptr;
    return UniquePtr<X509>(borrowed);
}

UniquePtr<EVP_PKEY> up_ref(EVP_PKEY* borrowed) {
    if (borrowed == nullptr || EVP_PKEY_up_ref(borrowed) != 1) return nullptr;
    return UniquePtr<EVP_PKEY>(borrowed);
}

std::string drain_errors() {
    std::string joined;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!joined.empty()) joined += "; ";
        joined += buffer;
    }
    return joined;
}

namespace {
std::string with_queue(std::string_view what_we_did) {
    std::string message(what_we_did);
    std::string queue = drain_errors();
    if (!queue.empty()) message += " (" + queue + ")";
    return message;
}
}  // namespace

Error::Error(std::string_view what_we_did) : swarmpki::Error({}, with_queue(what_we_did)) {}

}  // namespace swarmpki::ossl
