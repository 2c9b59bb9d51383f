// Facts into findings. Each check says what it saw in operator words and what to do; the codes
// are stable (docs/inspect.md lists them all), the wording may improve.
#include "inspect_checks.hpp"

#include "swarmpki/expiry.hpp"

#include <algorithm>

namespace swarmpki::inspect_detail {

namespace {

void add(std::vector<Finding>& out, Severity severity, std::string code, std::string message,
         std::string remedy = {}) {
    out.push_back({severity, std::move(code), std::move(message), std::move(remedy)});
}

std::string when(Instant at, Instant now) {
    return format_rfc3339(at) + " (" + format_relative(at, now) + ")";
}

std::string join(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out + "]";
}

}  // namespace

// A notice, as expiry's lifetime_mismatch: a leaf issued before the setting changed is normal
// until its next renewal; a leaf issued after it with the old lifetime is the stale signer
// (DOMAIN.md section 11), which `swarmpki cluster` judges on a manager.
void check_lifetime(const LeafIdentity& node, Seconds cert_expiry, std::vector<Finding>& out) {
    const Seconds lifetime = node.not_after - node.not_before;
    if (lifetime_matches_cert_expiry(lifetime, cert_expiry)) return;
    add(out, Severity::notice, "lifetime-mismatch",
        "node certificate lifetime " + format_duration(lifetime) + " is not the cert-expiry " +
            format_duration(cert_expiry) + " + the 1h backdate",
        "issued before the setting changed, or by a signer that has not applied it: `docker "
        "swarm ca --rotate` re-issues every certificate; a leader restart or a leader change "
        "applies it at each node's next renewal");
}

// The verdict is the expiry policy's (judge_expiry), so that `inspect` and `expiry` of one
// directory at one instant exit alike; this only words it as findings.
void check_leaf_validity(const LeafIdentity& node, Instant now, std::vector<Finding>& out) {
    ExpiryOptions policy;
    policy.at = now;
    ExpiryVerdict verdict = judge_expiry(CertKind::node, node.not_before, node.not_after, policy);
    switch (verdict.status) {
        case ExpiryStatus::expired: {
            std::string remedy =
                node.role == std::optional<std::string>("manager")
                    ? "an expired certificate cannot be renewed; if this is the last manager run "
                      "`docker swarm init --force-new-cluster`, otherwise leave (`docker swarm "
                      "leave --force`), join again and `docker node rm` the old ID"
                    : "an expired certificate cannot be renewed: `docker swarm leave --force`, "
                      "join again, then `docker node rm` the old ID on a manager";
            add(out, verdict.severity, "certificate-expired",
                "node certificate expired " + when(node.not_after, now), std::move(remedy));
            return;
        }
        case ExpiryStatus::not_yet_valid:
            add(out, verdict.severity, "certificate-not-yet-valid",
                "node certificate is not valid before " + when(node.not_before, now),
                "this clock is behind the CA's: fix the time (NTP)");
            return;
        case ExpiryStatus::expiring:
            add(out, verdict.severity, "certificate-expiring",
                "node certificate expires " + when(node.not_after, now) +
                    " with less than a tenth of its lifetime left, and was not renewed",
                "renew it before it expires: bring the node up and let it reach a manager, or "
                "`docker swarm ca --rotate` on a manager (an expired one cannot be renewed)");
            return;
        case ExpiryStatus::renewal_overdue:
            add(out, verdict.severity, "renewal-overdue",
                "past 80% of its lifetime and not renewed (the renewal window closed " +
                    format_relative(node.renewal_window.end, now) + "); expires " +
                    when(node.not_after, now),
                "the engine renews at 50-80% of the lifetime: check that the node is up and "
                "reaches a manager");
            return;
        case ExpiryStatus::renewal_window:
            add(out, Severity::info, "renewal-window-open",
                "in its renewal window: the engine renews it before " +
                    format_rfc3339(node.renewal_window.end));
            return;
        case ExpiryStatus::ok: return;
    }
}

void check_identity(const Certificate& leaf, const LeafIdentity& node, std::vector<Finding>& out) {
    const std::string& ou = node.organizational_unit;
    if (!node.role) {
        add(out, Severity::warning, "unknown-role",
            "node certificate OU is '" + ou + "', expected swarm-manager or swarm-worker",
            "this is not a certificate the swarm CA issued for a node");
    } else {
        std::vector<std::string> expected{ou, node.id};
        if (*node.role == "manager") expected.push_back("swarm-ca");
        if (node.sans != expected)
            add(out, Severity::warning, "san-role-mismatch",
                "SANs are " + join(node.sans) + ", the engine gives a " + *node.role + " " +
                    join(expected),
                *node.role == "manager"
                    ? "managers need swarm-ca to serve the CA: let the node renew (`docker swarm "
                      "ca --rotate` reissues every certificate)"
                    : "let the node renew its certificate from the swarm CA");
    }
    if (leaf.is_ca())
        add(out, Severity::warning, "leaf-is-ca",
            "the node certificate is a CA certificate (BasicConstraints CA:TRUE)",
            "node certificates are CA:FALSE; reissue it from the swarm CA");
    if (node.fips)
        add(out, Severity::info, "fips-cluster",
            "the certificate's O is FIPS." + node.cluster_id +
                ": the cluster requires FIPS mode on every node");
}

void check_trust_roots(const CertificateFile& root_file, Instant now, std::vector<Finding>& out) {
    const auto& roots = root_file.certificates;
    if (roots.size() > 1)
        add(out, Severity::warning, "multiple-trust-roots",
            "swarm-root-ca.crt holds " + std::to_string(roots.size()) +
                " certificates; the engine writes exactly one root",
            "the join-token digest covers the whole file: restore the root from `docker swarm "
            "ca` on a manager");
    for (std::size_t i = 0; i < roots.size(); ++i) {
        const Certificate& root = roots[i];
        std::string which = roots.size() > 1 ? "trust root " + std::to_string(i + 1) : "trust root";
        if (const auto& problem = root.verification_key_problem())
            add(out, Severity::critical, "unsupported-key",
                which + " (" + root.subject() + "): " + *problem +
                    "; no signature is checked with it, so no chain verifies",
                "the swarm CA's keys are P-256; rotate to a root with a P-256 key or RSA of at "
                "most 8192 bits and exponent 65537 (`docker swarm ca --rotate`)");
        else if (!root.signature_verified_by(root))
            add(out, Severity::warning, "root-not-self-signed",
                which + " (" + root.subject() + ") is not self-signed",
                "swarm-root-ca.crt should hold the root itself, not an intermediate");
        ExpiryOptions policy;
        policy.at = now;
        ExpiryVerdict verdict = judge_expiry(CertKind::root, root.not_before(), root.not_after(),
                                             policy);
        if (verdict.status == ExpiryStatus::expired) {
            add(out, verdict.severity, "root-expired",
                which + " expired " + when(root.not_after(), now),
                "every chain fails: `docker swarm ca --rotate` on a manager");
        } else if (verdict.status == ExpiryStatus::not_yet_valid) {
            add(out, verdict.severity, "root-not-yet-valid",
                which + " is not valid before " + when(root.not_before(), now),
                "the root is back-dated only 5 minutes: fix this clock (NTP)");
        } else if (verdict.status == ExpiryStatus::expiring) {
            add(out, verdict.severity, "root-expiring",
                which + " expires " + when(root.not_after(), now) +
                    "; nothing renews a root on its own",
                "rotate it in time: `docker swarm ca --rotate`");
        }
    }
}

namespace {

// What to do about a chain that does not verify, by ChainVerification::failure_code.
std::string chain_remedy(const std::string& code) {
    if (code == "expired" || code == "not-yet-valid")
        return "a CA certificate is outside its validity: check this clock; an expired root "
               "needs `docker swarm ca --rotate`";
    if (code == "issuer-not-ca" || code == "issuer-key-usage" || code == "path-length-exceeded")
        return "the swarm CA never issues through such a certificate (a node's own key signing a "
               "certificate is a forgery): treat this directory as tampered with; leave and join "
               "again";
    if (code == "unsupported-key")
        return "the swarm CA's keys are P-256; an operator's root must be RSA of at most 8192 bits "
               "with a usual public exponent (65537): rotate to such a root";
    if (code == "too-many-certificates" || code == "chain-too-complex")
        return "the engine writes the node certificate and the cross-signed root at most: "
               "restore swarm-node.crt, or let the node renew";
    return "compare keys, not names (every swarm root is CN=swarm-ca): this node may hold "
           "another swarm's state; leave and join again";
}

}  // namespace

void check_chain(const ChainAnalysis& analysis, std::vector<Finding>& out) {
    const ChainVerification& checked = analysis.verification_in_validity;
    if (!checked.verified)
        add(out, Severity::critical, "chain-not-verified",
            "node certificate does not chain to swarm-root-ca.crt: " + checked.failure,
            chain_remedy(checked.failure_code));
    for (std::size_t index : analysis.unused_intermediates)
        add(out, Severity::notice, "unused-intermediate",
            "certificate " + std::to_string(index + 1) +
                " in swarm-node.crt is not needed to reach the trust root",
            "the engine bundles only a cross-signed copy of the root; the node's next renewal "
            "rewrites the file");
}

namespace {

// A .swarm-node.crt that the engine's reader would take, or that could not be ruled out.
void check_renewal(const CertificatesDirectory& dir, std::vector<Finding>& out) {
    const KeyMatch& match = dir.key_match;
    if (match.pending == PendingCertificate::in_flight && dir.cert_file) {
        std::string replaces =
            dir.superseded_cert_file
                ? "swarm-node.crt (serial " +
                      dir.superseded_cert_file->certificates.front().serial_hex() + ")"
                : "a swarm-node.crt that is missing or holds no certificate";
        add(out, Severity::notice, "renewal-in-flight",
            "a renewal is in flight: swarm-node.key matches .swarm-node.crt (serial " +
                dir.cert_file->certificates.front().serial_hex() + "), not " + replaces +
                "; on its next read the engine moves .swarm-node.crt into place, so this report "
                "judges that certificate",
            "nothing to do: the engine completes it within moments; if it stays, the engine was "
            "interrupted between writing the key and the rename, and its next start completes it");
    } else if (match.pending == PendingCertificate::unchecked && dir.pending_cert_file) {
        add(out, Severity::notice, "renewal-unchecked",
            ".swarm-node.crt (serial " + dir.pending_cert_file->certificates.front().serial_hex() +
                ") holds another key's certificate, and the key could not be compared with it" +
                (dir.key_file && dir.key_file->facts.encrypted ? " (it is encrypted)" : "") +
                ": if a renewal is in flight the engine will use .swarm-node.crt; this report "
                "judges swarm-node.crt",
            "give the unlock key (--unlock-key-file, --unlock-key-stdin or SWARMPKI_UNLOCK_KEY) "
            "so the key can be compared with both certificates");
    }
}

}  // namespace

namespace {

// Mode and owner, which stat tells even when the key cannot be read.
void check_key_file_facts(const CertificatesDirectory& dir, const DirectoryEntry& entry,
                          std::vector<Finding>& out) {
    const FileFacts& facts = entry.facts;
    if ((facts.mode & 077) != 0) {
        std::string can = (facts.mode & 044) != 0 && (facts.mode & 022) != 0 ? "read and change"
                          : (facts.mode & 044) != 0                          ? "read"
                          : (facts.mode & 022) != 0                          ? "change"
                                                                             : "use";
        add(out, Severity::warning, "key-permissions",
            "swarm-node.key has mode " + format_mode(facts.mode) + ": other users can " + can +
                " the node key",
            "chmod 600 " + entry.path);
    }
    if (facts.uid != 0) {
        bool rootless = facts.uid == dir.dir_facts.uid;  // rootless Docker owns its whole tree
        add(out, rootless ? Severity::notice : Severity::warning, "key-owner",
            "swarm-node.key is owned by " + facts.owner + ", not root",
            rootless ? "expected under rootless Docker; otherwise chown root:root " + entry.path
                     : "chown root:root " + entry.path);
    }
}

}  // namespace

void check_key(const CertificatesDirectory& dir, const KeyReport& key, const LeafIdentity* node,
               bool unlock_key_given, std::vector<Finding>& out) {
    if (!key.present) {
        if (!dir.error)
            add(out, Severity::critical, "key-missing", "swarm-node.key is missing",
                "a node cannot start without its key: restore it, or leave and join again");
        return;
    }
    if (dir.key_unreadable) {
        // The engine's 0600 root key, read by an operator's own account: normal, and no reason
        // to withhold what the other files tell.
        add(out, Severity::notice, "key-unreadable",
            "swarm-node.key is not readable by this user (permission denied): its type, "
            "encryption and whether it matches the certificate were not checked",
            "run as root (`sudo swarmpki inspect`) to check the key");
        check_renewal(dir, out);
        check_key_file_facts(dir, dir.key_unreadable->entry, out);
        return;
    }
    const KeyFile& file = *dir.key_file;
    const KeyMatch& match = dir.key_match;
    if (key.matches_certificate == std::optional<bool>(false))
        add(out, Severity::critical, "key-mismatch",
            match.pending == PendingCertificate::stale
                ? "swarm-node.key matches neither swarm-node.crt nor .swarm-node.crt"
                : "swarm-node.key does not match the node certificate's public key",
            "the node cannot use this pair: restore the key written with the certificate, or "
            "leave and join again");
    check_renewal(dir, out);
    if (file.facts.encryption_refused)
        add(out, Severity::warning, "key-kdf-refused",
            "swarm-node.key is encrypted with " + *file.facts.encryption_refused +
                "; the engine writes PBKDF2-HMAC-SHA1, 2048 iterations, AES-256-CBC, and swarmpki "
                "derives no key from other parameters, so whether it matches the certificate was "
                "not checked",
            "the engine did not write this key: restore the node's own key, or leave and join "
            "again");
    else if (key.encrypted && !unlock_key_given)
        add(out, Severity::notice, "key-locked",
            "the key is encrypted (autolock); whether it matches the certificate was not checked",
            "give the unlock key (--unlock-key-file, --unlock-key-stdin or SWARMPKI_UNLOCK_KEY) "
            "to check it");
    if (key.encrypted && node && node->role == std::optional<std::string>("worker"))
        add(out, Severity::warning, "worker-key-encrypted",
            "a worker's key is encrypted; the engine never encrypts worker keys",
            "was this node demoted while locked? the engine expects a plain key on a worker");
    if (file.facts.encoding == KeyEncoding::sec1 ||
        file.facts.encoding == KeyEncoding::legacy_encrypted)
        add(out, Severity::info, "legacy-key-format",
            "the key is in the SEC1 'EC PRIVATE KEY' format of engines before 2017",
            "nothing to do; the engine converts it to PKCS#8 at the next renewal");
    check_key_file_facts(dir, file.entry, out);
}

void check_files(const CertificatesDirectory& dir, std::vector<Finding>& out) {
    if ((dir.dir_facts.mode & 022) != 0)
        add(out, Severity::warning, "directory-writable-by-others",
            dir.dir + " has mode " + format_mode(dir.dir_facts.mode) +
                ": other users can replace the node's certificates",
            "chmod go-w " + dir.dir);
    for (const DirectoryEntry& entry : dir.entries) {
        if (entry.facts.is_symlink && entry.outside_directory)
            add(out, Severity::warning, "symlink-outside-directory",
                entry.name + " is a symlink to " + entry.facts.resolved +
                    ", outside the certificates directory",
                "the engine writes plain files here; replace the link with the file");
        else if (entry.facts.is_symlink && !entry.facts.dangling)
            add(out, Severity::info, "symlink",
                entry.name + " is a symlink to " + entry.facts.symlink_target,
                "the engine replaces it with a plain file at its next write");
        if (entry.name != kNodeKeyFile && entry.facts.exists && (entry.facts.mode & 022) != 0)
            add(out, Severity::warning, "file-writable-by-others",
                entry.name + " has mode " + format_mode(entry.facts.mode) +
                    ": other users can change it",
                "chmod 644 " + entry.path);
    }
    bool pending_reported = dir.key_match.pending == PendingCertificate::in_flight ||
                            dir.key_match.pending == PendingCertificate::unchecked;
    for (const DirectoryEntry& leftover : dir.leftovers) {
        if (pending_reported && leftover.name == kPendingNodeCertFile) continue;  // check_renewal's
        add(out, Severity::notice, "interrupted-write",
            "leftover " + leftover.name +
                ": the engine was interrupted while writing the node's certificate or key",
            "nothing to do while the node runs (the engine falls back to .swarm-node.crt when "
            "needed); remove it after the next renewal");
    }

    auto text_checks = [&](const std::string& name, bool crlf, bool text_outside) {
        bool root = name == kRootCertFile;
        Severity severity = root ? Severity::warning : Severity::notice;
        std::string digest_note =
            root ? "; the join-token digest covers these bytes, so tokens will not match it" : "";
        if (crlf)
            add(out, severity, "crlf-line-endings",
                name + " has CRLF line endings; the engine writes LF" + digest_note,
                "restore the file as the engine wrote it (LF)");
        if (text_outside)
            add(out, severity, "text-outside-pem",
                name + " has text outside its PEM blocks; the engine writes none" + digest_note,
                "remove the extra text");
    };
    if (dir.root_file)
        text_checks(kRootCertFile, dir.root_file->crlf, dir.root_file->text_outside_blocks);
    if (dir.cert_file)
        text_checks(kNodeCertFile, dir.cert_file->crlf, dir.cert_file->text_outside_blocks);
    if (dir.key_file)
        text_checks(kNodeKeyFile, dir.key_file->crlf, dir.key_file->text_outside_blocks);
}

namespace {

// Whether a root key on disk is the trust root's: matches, when it could be compared.
struct RootKeyState {
    std::optional<bool> matches;
    std::string problem;  // why it was not compared, in words; empty when it was
};

RootKeyState root_key_state(const LegacyRootKeyFile& legacy,
                            const std::vector<Certificate>* roots) {
    RootKeyState state;
    if (!legacy.problem.empty()) {
        state.problem = "it could not be read: " + legacy.problem;
    } else if (legacy.facts && legacy.facts->encrypted) {
        state.problem = "it is encrypted, so whether it matches the trust root is unknown";
    } else if (legacy.key && roots) {
        try {
            PrivateKey key = load_private_key(legacy.key->block(), nullptr, legacy.entry.path);
            state.matches = std::any_of(roots->begin(), roots->end(),
                                        [&](const Certificate& root) { return key.matches(root); });
        } catch (const Error& e) {
            state.problem = "it does not hold a usable key: " + e.problem();
        }
    } else {
        state.problem = "the trust root could not be read to compare it";
    }
    return state;
}

}  // namespace

void check_ca_directory(const CertificatesDirectory& dir, const std::vector<Certificate>* roots,
                        std::vector<Finding>& out) {
    add(out, Severity::info, "ca-directory",
        dir.dir + " is a CA directory (swarm-root-ca.crt and its key swarm-root-ca.key, as "
                  "`swarmpki ca init` writes), not a node's: no node certificate or key is "
                  "expected here",
        "to inspect a node, give its certificates directory; `swarmpki ca issue --ca " + dir.dir +
            "` issues one from this CA");
    const LegacyRootKeyFile& key = *dir.legacy_root_key;
    RootKeyState state = root_key_state(key, roots);
    if (state.matches != std::optional<bool>(true))
        add(out, Severity::warning, "ca-key-mismatch",
            "swarm-root-ca.key " +
                (state.matches ? std::string("does not match swarm-root-ca.crt") : state.problem),
            "`swarmpki ca issue` refuses a key that does not sign for the root: restore the pair "
            "`swarmpki ca init` wrote");
    if ((key.entry.facts.mode & 077) != 0)
        add(out, Severity::warning, "ca-key-permissions",
            "swarm-root-ca.key has mode " + format_mode(key.entry.facts.mode) +
                ": other users can use the CA's key",
            "chmod 600 " + key.entry.path);
}

void check_legacy_root_key(const LegacyRootKeyFile& legacy, const std::vector<Certificate>* roots,
                           std::vector<Finding>& out) {
    RootKeyState key = root_key_state(legacy, roots);
    std::string state = !key.matches ? key.problem
                        : *key.matches
                            ? "it matches the trust root: this node can sign as the swarm CA"
                            : "it does not match the trust root (stale since a rotation; the "
                              "engine may refuse to start with 'certificate key mismatch')";
    add(out, Severity::warning, "legacy-root-key",
        "swarm-root-ca.key (the root CA's private key) is on disk; " + state,
        "engines since 2016 keep the root key in raft only: move the file off the node");
}

void check_token(const TokenReport& token, std::vector<Finding>& out) {
    if (token.pins_root) {
        add(out, Severity::info, "token-pins-root",
            "the join token's digest is the SHA-256 of this node's swarm-root-ca.crt");
        return;
    }
    // A digest over the DER is no engine's token; any other variant is this root with other
    // bytes: the file was changed after the engine wrote it, and the token may well be right.
    bool of_der = token.matching_variant == std::optional<std::string>("der") ||
                  token.matching_variant == std::optional<std::string>("der-bundle");
    if (token.matching_variant && !of_der) {
        add(out, Severity::warning, "token-pins-root-variant",
            "the join token pins this node's root, but not the exact bytes of its "
            "swarm-root-ca.crt: its digest is the SHA-256 of " +
                token.matching_description,
            "a joining node hashes the root a manager sends, so the token joins while the swarm "
            "stores the root as the engine wrote it; restore swarm-root-ca.crt to those bytes");
        return;
    }
    std::string why = of_der ? ": its digest is the SHA-256 of " + token.matching_description
                             : std::string();
    add(out, Severity::critical, "token-does-not-pin-root",
        "the join token's digest is not the SHA-256 of this node's swarm-root-ca.crt" + why +
            "; a node joining with it would refuse this swarm ('remote CA does not match "
            "fingerprint')",
        "take the current token from `docker swarm join-token -q worker` (a CA rotation "
        "changes the digest), or check that this node is in the swarm you meant");
}

}  // namespace swarmpki::inspect_detail
