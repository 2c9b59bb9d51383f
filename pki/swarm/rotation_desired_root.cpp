// The engine's checks on an operator's desired root, in the engine's order and words.
//
// docker CLI (cli/command/swarm/ca.go) first insists on PEM; then the manager runs
// controlapi validateCAConfig: NewRootCA (parse, self-signature, key parse, key parameters, key
// match), one certificate only, at least a year of life, not the current key (newer engines:
// swarmkit PR #3161), and finally cross-signing, which fails for a certificate that is not a CA.
// DOMAIN.md sections 5.2 and 11 list the messages as a real 20.10.24 engine printed them.
#include "../crypto/certificate_checks.hpp"
#include "swarmpki/rotation.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"

namespace swarmpki {

namespace {

constexpr Seconds kMinRootExpiration{8760 * 3600};  // minRootExpiration = 1 * helpers.OneYear

RotationRefusal refusal(const PemInput& input, std::string message, std::string remedy,
                        const char* code = "InvalidArgument") {
    std::string engine_error = code == nullptr ? message
                                               : "Error response from daemon: rpc error: code = " +
                                                     std::string(code) + " desc = " + message;
    return RotationRefusal{
        input.name, std::move(message), std::move(engine_error), {}, std::move(remedy)};
}

using cert_detail::insecure_signature_name;  // pki/crypto/certificate_checks.hpp
using cert_detail::unsupported_key_parameters;

bool looks_like_pem(const std::string& text) { return parse_pem(text).bundle.has_value(); }

}  // namespace

std::optional<RotationRefusal> check_desired_root(const PemInput& cert_input,
                                                  const PemInput& key_input,
                                                  const Certificate& current_root, Instant now) {
    for (const PemInput* input : {&cert_input, &key_input})
        if (!looks_like_pem(input->text))
            return refusal(*input, "file contents must be in PEM format",
                           "give the PEM file itself (-----BEGIN ...-----)", nullptr);

    PemBundle cert_bundle = *parse_pem(cert_input.text).bundle;
    std::vector<Certificate> certs;
    try {
        certs = certificates_from_pem(cert_bundle, cert_input.name);
    } catch (const Error& e) {
        return refusal(cert_input, "invalid root certificates",
                       e.problem() + "; give PEM CERTIFICATE blocks only");
    }
    for (const Certificate& cert : certs) {
        if (auto name = insecure_signature_name(cert))
            return refusal(cert_input, "unsupported signature algorithm: " + *name,
                           "re-issue the root with SHA-256 or better");
        if (!cert.signature_verified_by(cert))
            return refusal(cert_input,
                           "error while validating Root CA Certificate: x509: signature does not "
                           "verify under its own key",
                           "the desired root must be self-signed");
    }

    PemBundle key_bundle = *parse_pem(key_input.text).bundle;
    std::optional<PrivateKey> key;
    try {
        const PemBlock& block = key_block_of(key_bundle, key_input.name);
        if (describe_key_block(block).encrypted)
            return refusal(key_input, "malformed private key: the key is encrypted",
                           "decrypt it first (openssl pkey -in K -out K.plain); the engine takes "
                           "no passphrase");
        key = load_private_key(block, nullptr, key_input.name);
    } catch (const Error& e) {
        return refusal(key_input, "malformed private key", e.problem());
    }

    const Certificate& desired = certs.front();
    if (auto problem = unsupported_key_parameters(desired))
        return refusal(cert_input, *problem,
                       "use RSA of 2048 bits or more, or ECDSA P-256, P-384 or P-521");
    if (!key->matches(desired))
        return refusal(key_input, "certificate key mismatch",
                       "give the key that belongs to " + cert_input.name);
    if (certs.size() > 1)
        return refusal(cert_input,
                       "the desired CA certificate cannot contain multiple certificates",
                       "keep only the root in the file");
    if (desired.not_after() < now + kMinRootExpiration)
        return refusal(cert_input, "CA certificate expires too soon",
                       "the root must be valid for at least a year from now (NotAfter " +
                           format_rfc3339(desired.not_after()) + ")");
    if (desired.same_public_key(current_root)) {
        RotationRefusal r = refusal(cert_input, "Cannot update to a cert with an identical key",
                                    "generate a new key for the new root");
        if (desired.subject() == current_root.subject() &&
            cert_detail::same_subject_name(desired, current_root))
            r.hazard =
                "same key and same subject as the current root: a 20.10 engine accepts this root, "
                "the "
                "rotation never finishes, every node still shows TLS Ready, and every later "
                "cluster "
                "update fails with 'error loading cluster rootCA for update' until the leader's "
                "dockerd restarts";
        return r;
    }
    if (!desired.is_ca())
        return refusal(cert_input,
                       "unable to generate a cross-signed certificate for root rotation",
                       "the certificate is not a CA (BasicConstraints CA:TRUE is missing)",
                       "Internal");
    return std::nullopt;
}

}  // namespace swarmpki
