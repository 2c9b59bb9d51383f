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

Certificate create_root_certificate(const PrivateKey& key, const std::string& common_name,
                                    Seconds lifetime, Instant now) {
    using namespace ca_detail;
    ossl::UniquePtr<X509> root = new_v3_certificate();
    set_random_serial(root.get());
    ossl::UniquePtr<X509_NAME> name(ossl::check(X509_NAME_new(), "X509_NAME_new"));
    add_name_entry(name.get(), NID_commonName, common_name);
    ossl::check(X509_set_subject_name(root.get(), name.get()), "setting the subject");
    ossl::check(X509_set_issuer_name(root.get(), name.get()), "setting the issuer");
    Instant not_before = round_to_minute(now) - kRootBackdate;
    set_validity(root.get(), not_before, not_before + lifetime);
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

RootCa create_root(const RootOptions& options, Instant now) {
    KeyGenerator generator(options.key_type);
    PrivateKey key = generator.generate();
    Certificate certificate = create_root_certificate(key, options.common_name, options.lifetime,
                                                      now);
    return RootCa{std::move(certificate), std::move(key)};
}

}  // namespace swarmpki
