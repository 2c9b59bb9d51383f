// The cross-signed intermediate of a root rotation (swarmkit ca/certificates.go
// CrossSignCACertificate).
//
// The engine parses the new root and hands that parsed certificate to Go's x509.CreateCertificate
// as the template, with the old root as parent and the old key as signer. So the result keeps the
// new root's subject, serial, validity and public key; Go rebuilds the extensions it knows from
// the template's fields, in its own order and criticality, and drops the rest; the issuer is the
// old root's subject; and Go adds the parent's key ID as AKI only when the two names differ. With
// the engine's default roots both are CN=swarm-ca, so the result looks self-signed but is not.
#include "ca_issuing.hpp"
#include "swarmpki/ca.hpp"

#include "ca_internal.hpp"
#include "swarmpki/error.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>

namespace swarmpki {

namespace {

// The digest of the old root's own signature: Go forces the template's SignatureAlgorithm to it.
const char* old_root_digest(const Certificate& old_root, EVP_PKEY* old_key) {
    int digest_nid = NID_undef;
    if (X509_get_signature_info(old_root.get0(), &digest_nid, nullptr, nullptr, nullptr) == 1) {
        switch (digest_nid) {
            case NID_sha256: return "SHA256";
            case NID_sha384: return "SHA384";
            case NID_sha512: return "SHA512";
            case NID_sha1: return "SHA1";
            default: break;
        }
    }
    ossl::drain_errors();
    return default_signature_digest(old_key);
}

ossl::UniquePtr<X509_EXTENSION> copy_of(X509* from, int nid) {
    int index = X509_get_ext_by_NID(from, nid, -1);
    if (index < 0) return nullptr;
    return ossl::UniquePtr<X509_EXTENSION>(
        ossl::check(X509_EXTENSION_dup(X509_get_ext(from, index)), "copying an extension"));
}

void add_copy(X509* to, X509* from, int nid, bool critical) {
    ossl::UniquePtr<X509_EXTENSION> extension = copy_of(from, nid);
    if (!extension) return;
    ossl::check(X509_EXTENSION_set_critical(extension.get(), critical ? 1 : 0),
                "setting criticality");
    ca_detail::add_extension(to, extension.get());
}

// AKI as Go writes it: the parent's key ID when issuer and subject names differ, otherwise the
// template's own AKI key ID (usually absent on an engine root).
void add_authority_key_id(X509* cross, X509* new_root, const Certificate& old_root) {
    bool names_equal = X509_NAME_cmp(X509_get_subject_name(new_root),
                                     X509_get_subject_name(old_root.get0())) == 0;
    if (!names_equal) {
        if (old_root.subject_key_id())
            ca_detail::add_extension(cross,
                                     ca_detail::conf_extension(NID_authority_key_identifier,
                                                               "keyid:always", old_root.get0())
                                         .get());
        return;
    }
    add_copy(cross, new_root, NID_authority_key_identifier, false);
}

}  // namespace

Certificate cross_sign(const Certificate& new_root, const Certificate& old_root,
                       const PrivateKey& old_key, const std::string& subject) {
    if (!new_root.is_ca())
        throw Error(subject, "unable to generate a cross-signed certificate for root rotation",
                    "the certificate is not a CA (BasicConstraints CA:TRUE is missing): give a CA "
                    "certificate");
    if (!old_key.matches(old_root))
        throw Error("the old root", "certificate key mismatch",
                    "give the key that belongs to the current root");
    X509* template_root = new_root.get0();  // borrowed
    ossl::UniquePtr<X509> cross = ca_detail::new_v3_certificate();
    ossl::check(X509_set_serialNumber(cross.get(), X509_get_serialNumber(template_root)),
                "copying the serial number");
    ossl::check(X509_set_issuer_name(cross.get(), X509_get_subject_name(old_root.get0())),
                "setting the issuer");
    ossl::check(X509_set_subject_name(cross.get(), X509_get_subject_name(template_root)),
                "copying the subject");
    ossl::check(X509_set1_notBefore(cross.get(), X509_get0_notBefore(template_root)),
                "copying NotBefore");
    ossl::check(X509_set1_notAfter(cross.get(), X509_get0_notAfter(template_root)),
                "copying NotAfter");
    ossl::check(X509_set_pubkey(cross.get(), X509_get0_pubkey(template_root)),
                "copying the public key");

    // Go's buildCertExtensions order and criticality.
    add_copy(cross.get(), template_root, NID_key_usage, true);
    add_copy(cross.get(), template_root, NID_ext_key_usage, false);
    add_copy(cross.get(), template_root, NID_basic_constraints, true);
    if (new_root.subject_key_id())
        add_copy(cross.get(), template_root, NID_subject_key_identifier, false);
    else ca_detail::add_subject_key_id(cross.get());  // Go derives one for a CA without it
    add_authority_key_id(cross.get(), template_root, old_root);
    add_copy(cross.get(), template_root, NID_info_access, false);
    add_copy(cross.get(), template_root, NID_subject_alt_name,
             X509_NAME_entry_count(X509_get_subject_name(template_root)) == 0);
    int constraints = X509_get_ext_by_NID(template_root, NID_name_constraints, -1);
    if (constraints >= 0)
        add_copy(cross.get(), template_root, NID_name_constraints,
                 X509_EXTENSION_get_critical(X509_get_ext(template_root, constraints)) == 1);
    add_copy(cross.get(), template_root, NID_crl_distribution_points, false);
    add_copy(cross.get(), template_root, NID_certificate_policies, false);

    CertificateSigner(old_key.get0(), old_root_digest(old_root, old_key.get0())).sign(cross.get());
    return Certificate::from_handle(std::move(cross));
}

}  // namespace swarmpki
