// The signature check a node makes on a freshly issued certificate before saving it: the same
// checks as Certificate::signature_verified_by (cert_detail::verify_prepared), with the
// verification prepared once per thread and signature algorithm instead of once per certificate.
#include "rotation_internal.hpp"

#include "../crypto/certificate_checks.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/error.hpp"

#include <optional>

namespace swarmpki::rotation_detail {

LeafSignatureCheck::LeafSignatureCheck(const Certificate& issuer) : issuer_(issuer) {}

void LeafSignatureCheck::prepare(int signature_nid) {
    std::optional<cert_detail::PlainAlgorithm> algorithm = cert_detail::plain_algorithm(
        signature_nid);
    if (!algorithm)
        throw Error("a node certificate", "uses a signature algorithm this check does not know",
                    "sign node certificates with ECDSA or RSA PKCS#1 and SHA-2");
    EVP_PKEY* key = ossl::check(issuer_.public_key(), "reading the issuer's key");  // borrowed
    ossl::check(cert_detail::prepare_verify(key, *algorithm, verify_context_, digest_context_) ? 1
                                                                                               : 0,
                "preparing to verify");
    signature_nid_ = signature_nid;
}

std::string LeafSignatureCheck::refusal(const Bytes& der) {
    // The node's ValidateCertChain: only a certificate that may issue signs its leaf.
    if (auto refused = issuer_refusal(issuer_, 0))
        return "the issuer " + issuer_.subject() + " " + refused->problem;
    std::optional<cert_detail::SignedParts> parts = cert_detail::read_signed_parts(der);
    if (!parts) return "the certificate's DER does not parse";
    int signature_nid = cert_detail::signature_algorithm_nid(*parts);
    if (signature_nid == 0) return "unknown signature algorithm";
    if (signature_nid != signature_nid_) prepare(signature_nid);
    // prepare() succeeded for this NID, so it is a plain algorithm.
    cert_detail::PlainAlgorithm algorithm = *cert_detail::plain_algorithm(signature_nid);
    cert_detail::Verdict verdict = cert_detail::verify_prepared(verify_context_.get(),
                                                                digest_context_.get(), algorithm,
                                                                parts->view);
    if (verdict != cert_detail::Verdict::verified) return cert_detail::describe(verdict);
    return {};
}

}  // namespace swarmpki::rotation_detail
