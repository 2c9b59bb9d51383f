// inspect: the truth about one node's PKI, as a plain struct that renderers turn into text or
// JSON (so the two can never disagree).
//
// Everything is decided by keys and signatures, never by names: every swarm root is CN=swarm-ca,
// and the engine's cross-signed intermediate shares subject, issuer and serial with the new root.
// Time is a parameter; nothing here reads the clock or writes a file.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/inspect.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cert_expiry.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/finding.hpp"
#include "swarmpki/join_token.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/rotation_state.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

struct CertificatesDirectory;  // node_directory.hpp

struct InspectOptions {
    const SecretBytes* unlock_key = nullptr;  // borrowed; decrypts an autolocked key in memory
    const JoinToken* token = nullptr;         // borrowed; does it pin this node's trust root?
    // The cluster's cert-expiry when known (engine or flag): a node leaf issued with another
    // lifetime is a `lifetime-mismatch` notice, as expiry's lifetime_mismatch.
    std::optional<Seconds> cert_expiry;
};

enum class ChainKind { leaf, cross_signed_intermediate, intermediate };
const char* to_string(ChainKind kind);

// Who the leaf says the node is.
struct LeafIdentity {
    std::string id;                   // CN
    std::optional<std::string> role;  // "manager" / "worker" from OU; null otherwise
    std::string organizational_unit;  // the OU as written
    std::string cluster_id;           // O without a "FIPS." prefix (node_identity.hpp)
    bool fips = false;                // O starts with "FIPS.": a FIPS-mandatory cluster
    std::vector<std::string> sans;
    std::string serial;
    Instant not_before{}, not_after{};
    std::int64_t lifetime_seconds = 0;
    std::int64_t remaining_seconds = 0;  // negative once expired
    std::string issuer;
    std::optional<std::string> issuer_public_key_sha256;  // null when no certificate signs it
    struct {
        Instant start{};  // NotBefore + 50% of the lifetime
        Instant end{};    // NotBefore + 80%
    } renewal_window;
};

struct ChainEntry {
    ChainKind kind = ChainKind::leaf;
    std::string subject, issuer, serial;
    Instant not_before{}, not_after{};
    std::string public_key_sha256;
};

struct TrustRootEntry {
    std::string subject, serial;
    Instant not_before{}, not_after{};
    std::string public_key_sha256;
    std::string key_type;
};

struct KeyReport {
    bool present = false;
    bool readable = false;                // false when absent or this user may not read it
    std::optional<std::string> type;      // ecdsa-p256; null when encrypted and not unlocked
    std::optional<std::string> pem_type;  // "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ...
    bool encrypted = false;
    std::optional<std::string> kek_version;
    std::vector<std::string> pem_headers;     // names only, never values
    std::optional<bool> matches_certificate;  // null when encrypted and no unlock key was given
    std::optional<std::string> mode;          // "0600"
    std::optional<std::string> owner;
};

struct FileReport {
    std::string name;
    std::string path;
    std::string mode, owner, group;
    std::uint64_t size = 0;
    std::optional<std::string> symlink_target;  // when the name is a symlink
    bool outside_directory = false;
    bool dangling = false;
};

struct TokenReport {
    int version = 1;
    bool fips = false;
    std::string digest_base36;  // the token's digest part (not secret); the secret is never kept
    bool pins_root = false;
    // When it does not pin the file's exact bytes: the first of `token verify`'s variants of the
    // file that it does pin (check_root_file: "lf-line-endings", "der", ...), and its wording.
    std::optional<std::string> matching_variant;
    std::string matching_description;
};

struct NodeReport {
    std::string dir;
    DirectoryKind kind = DirectoryKind::node;  // a CA directory is reported as one, not a node
    Severity severity = Severity::ok;  // run_verdict of the findings and `error` (severity.hpp)
    std::optional<std::string> error;  // one line: file, problem, remedy (the first of `errors`)
    std::vector<std::string> errors;   // every reason it could not be evaluated, in read order
    std::optional<LeafIdentity> node;
    std::vector<ChainEntry> chain;
    std::vector<TrustRootEntry> trust_roots;
    std::optional<std::string> root_file_sha256;
    std::optional<std::string> join_token_digest;  // root_file_sha256 as 50 base-36 characters
    std::optional<RotationState> rotation;
    std::optional<bool> chain_verified;
    std::string chain_failure;       // why not, when not verified
    std::string chain_failure_code;  // ChainVerification::failure_code, when not verified
    KeyReport key;
    std::vector<FileReport> files;
    std::optional<TokenReport> token;
    std::vector<Finding> findings;
    // How many times the directory was read before its files held still (node_directory.hpp);
    // not rendered: a read again is no finding.
    unsigned reads = 1;
};

// Several directories at once: what an operator comparing a fleet asks first.
struct FleetSummary {
    std::size_t nodes = 0;
    std::size_t ok = 0, warning = 0, critical = 0, unknown = 0;
    std::vector<std::string> cluster_ids;        // distinct, in first-seen order
    std::vector<std::string> root_file_sha256s;  // distinct, in first-seen order
    std::size_t rotation_none = 0, rotation_in_progress = 0, rotation_completed = 0;
    std::optional<Instant> earliest_not_after;
    std::string earliest_dir;
    std::vector<Finding> findings;
};

struct InspectReport {
    Instant evaluated_at{};
    Severity severity = Severity::ok;
    ConfiguredCertExpiry cert_expiry_setting;  // the command fills it (`cert_expiry` in JSON)
    std::vector<NodeReport> nodes;
    std::optional<FleetSummary> fleet;  // only for more than one directory
};

NodeReport inspect_node(const std::string& path, const InspectOptions& options, Instant now);
// Trees among `paths` are expanded first (expand_node_directories, as `expiry` walks them); the
// report's severity is run_verdict (severity.hpp) of every finding and every unreadable directory.
InspectReport inspect_nodes(const std::vector<std::string>& paths, const InspectOptions& options,
                            Instant now);
// inspect_node of a directory the caller has already read (read_node_directory with the same
// unlock key), and inspect_nodes' report of nodes so inspected: `serve` reads each directory
// once per scan and feeds this and the expiry scan from that one read.
NodeReport inspect_directory(const CertificatesDirectory& dir, const InspectOptions& options,
                             Instant now);
InspectReport inspect_report(std::vector<NodeReport> nodes, Instant now);

// The status word of a report or node: ok, warning, critical, unknown.
std::string_view report_status(Severity severity);

}  // namespace swarmpki
