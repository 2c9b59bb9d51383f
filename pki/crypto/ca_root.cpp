// Root CAs with the engine's profile (swarmkit ca/certificates.go CreateRootCA -> cfssl initca).
#include "ca_issuing.hpp"
#include "swarmpki/ca.hpp"

#include "ca_internal.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace swarmpki {

Instant round_to_minute(Instant at) {
    auto seconds = unix_seconds(at);
    auto within = ((seconds % 60) + 60) % 60;
    return from_unix_seconds(seconds - within + (within >= 30 ? 60 : 0));
}

namespace {

// The engine's root profile over a given name and validity, self-signed by `key`.
Certificate self_signed_root(const PrivateKey& key, const X509_NAME* name, Instant not_before,
                             Instant not_after) {
    using namespace ca_detail;
    ossl::UniquePtr<X509> root = new_v3_certificate();
    set_random_serial(root.get());
    ossl::check(X509_set_subject_name(root.get(), name), "setting the subject");
    ossl::check(X509_set_issuer_name(root.get(), name), "setting the issuer");
    set_validity(root.get(), not_before, not_after);
    set_certificate_public_key(root.get(), key.get0());
    // Go's order: KeyUsage, BasicConstraints, SubjectKeyId; no AKI on a self-signed root.
    add_extension(root.get(), conf_extension(NID_key_usage, "critical,keyCertSign,cRLSign").get());
    add_extension(root.get(), conf_extension(NID_basic_constraints, "critical,CA:TRUE").get());
    add_subject_key_id(root.get());
    // Parsed back from the signed DER: a public key set by set_certificate_public_key is only
    // decoded when parsed.
    CertificateSigner signer(key.get0(), default_signature_digest(key.get0()));
    return Certificate::from_der(signer.sign_to_der(root.get()), "a certificate just issued");
}

}  // namespace

Certificate create_root_certificate(const PrivateKey& key, const std::string& common_name,
                                    Seconds lifetime, Instant now) {
    ossl::UniquePtr<X509_NAME> name(ossl::check(X509_NAME_new(), "X509_NAME_new"));
    ca_detail::add_name_entry(name.get(), NID_commonName, common_name);
    Instant not_before = round_to_minute(now) - kRootBackdate;
    return self_signed_root(key, name.get(), not_before, not_before + lifetime);
}

RootCa create_stand_in_root(const Certificate& model, CaKeyType key_type) {
    KeyGenerator generator(key_type);
    PrivateKey key = generator.generate();
    Certificate certificate = self_signed_root(key, X509_get_subject_name(model.get0()),
                                               model.not_before(), model.not_after());
    return RootCa{std::move(certificate), std::move(key)};
}

RootCa create_root(const RootOptions& options, Instant now) {
    KeyGenerator generator(options.key_type);
    PrivateKey key = generator.generate();
    Certificate certificate = create_root_certificate(key, options.common_name, options.lifetime,
                                                      now);
    return RootCa{std::move(certificate), std::move(key)};
}

}  // namespace swarmpki
