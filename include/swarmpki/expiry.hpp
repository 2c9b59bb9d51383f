// Expiry against the engine's renewal schedule and the configured cert-expiry, for one node
// directory or a fleet's worth of collected ones.
//
// A node renews at a random point between 50% and 80% of its certificate's lifetime (measured
// from NotBefore, DOMAIN.md §3.2), so a node certificate past 80% that is still in place means
// the node is not reaching a manager. Nothing renews roots: a root close to its NotAfter needs a
// `docker swarm ca --rotate`. The report is a plain struct; text, JSON, Prometheus and Nagios
// are renderings of it, so they cannot disagree.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/expiry.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cert_expiry.hpp"
#include "swarmpki/cert_scan.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/renewal.hpp"
#include "swarmpki/renewal_window.hpp"
#include "swarmpki/rotation_state.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

struct CertificatesDirectory;  // node_directory.hpp

enum class CertKind { node, intermediate, root };
std::string_view to_string(CertKind kind);

enum class ExpiryStatus { ok, renewal_window, renewal_overdue, expiring, expired, not_yet_valid };
inline constexpr std::array kAllExpiryStatuses = {
    ExpiryStatus::ok,       ExpiryStatus::renewal_window, ExpiryStatus::renewal_overdue,
    ExpiryStatus::expiring, ExpiryStatus::expired,        ExpiryStatus::not_yet_valid};
// "ok", "renewal-window", "renewal-overdue", "expiring", "expired", "not-yet-valid"
std::string_view to_string(ExpiryStatus status);

// A --warn / --crit value: a duration before NotAfter, or a percentage of the lifetime left.
struct Threshold {
    enum class Unit { seconds, percent };
    Unit unit = Unit::seconds;
    double value = 0;  // seconds, or percent (0..100]

    Seconds before_not_after(Seconds lifetime) const;
};
// "30d", "720h", "10%"; nullopt when it is neither a duration nor a percentage in (0, 100].
std::optional<Threshold> parse_threshold(std::string_view text);

struct ExpiryOptions {
    Instant at{};
    std::optional<Seconds> cert_expiry;  // the cluster's --cert-expiry, when the caller knows it
    // When given, they apply to every certificate; otherwise the per-kind defaults: node
    // certificates critical with a tenth of their lifetime left (no warning threshold: past 80%
    // is already renewal-overdue); roots and intermediates warning at 365 days, critical at 30.
    std::optional<Threshold> warn, crit;
    unsigned threads = 1;  // as thread_count counts them: 0 is every core
    // Decrypts an autolocked key in memory, only to tell which certificate a node with a
    // .swarm-node.crt uses (renewal.hpp); may be null.
    std::shared_ptr<const SecretBytes> unlock_key;
    // When set, every node directory is read by the full reader (read_node_directory, with
    // unlock_key) and handed to this on the worker that read it, before its certificates are
    // evaluated from that same read: `serve` inspects each directory here, so one scan reads
    // each file once. Called concurrently from the workers; must not throw.
    std::function<void(const CertificatesDirectory&)> on_node_directory;
};

// The facts of one certificate as the report carries them; no OpenSSL handle is kept, so a scan
// of 100,000 files holds only these.
struct CertExpiry {
    std::string path;
    std::size_t index = 0;  // position in its bundle, 0-based
    CertKind kind = CertKind::node;
    std::string subject, issuer_cn, serial, public_key_sha256;
    // node_identity.hpp's: cluster_id without a "FIPS." prefix; fips null when no cluster.
    std::optional<std::string> node_id, role, cluster_id;
    std::optional<bool> fips;
    Instant not_before{}, not_after{};
    Seconds lifetime{}, remaining{};
    std::optional<RenewalWindow> renewal_window;  // node certificates only
    ExpiryStatus status = ExpiryStatus::ok;
    Severity severity = Severity::ok;
    // Node certificates with --cert-expiry given: issued lifetime (lifetime - 1h backdate)
    // differs from the setting by more than a minute. Otherwise nullopt (not compared).
    std::optional<bool> lifetime_mismatch;
};

// The expiry policy, decided here only: the status and severity of a certificate of `kind`
// valid from `not_before` to `not_after`, at `options.at`, with options.warn/crit or the per-kind
// defaults. `expiry`, `inspect` (its validity findings), serve and the Nagios and Prometheus
// renderings all take their verdict from it, so one directory at one instant gets one answer.
struct ExpiryVerdict {
    ExpiryStatus status = ExpiryStatus::ok;
    Severity severity = Severity::ok;
};
ExpiryVerdict judge_expiry(CertKind kind, Instant not_before, Instant not_after,
                           const ExpiryOptions& options);


// Classifies one certificate at `options.at`; `kind` and identity come from the caller.
CertExpiry evaluate_certificate(const Certificate& cert, CertKind kind,
                                const ExpiryOptions& options);

// Status -> severity, as SPEC §5: renewal-overdue warning; expired and not-yet-valid
// critical; expiring warning or critical by the threshold crossed (passed in).
Severity severity_of(ExpiryStatus status, Severity expiring_severity = Severity::warning);

// A directory that holds swarm-node.crt and/or swarm-root-ca.crt.
struct NodeDirectory {
    std::string path;
    DirectoryKind kind = DirectoryKind::node;  // a CA directory: its root only, no node expected
    std::optional<std::string> node_id, role, cluster_id;  // as in CertExpiry
    std::optional<bool> fips;
    std::optional<std::string> root_file_sha256;
    bool node_cert_present = false, root_file_present = false, key_present = false;
    RotationState rotation = RotationState::none;
    // What a .swarm-node.crt means; in_flight: the node certificate's record is the one in
    // .swarm-node.crt, which the engine is moving into place.
    PendingCertificate renewal = PendingCertificate::absent;
};

struct ClusterSummary {
    std::string cluster_id;  // without a "FIPS." prefix; FIPS.<id> and <id> are two clusters
    std::vector<std::string> root_digests;  // sorted SHA-256 of swarm-root-ca.crt bytes
    std::size_t directories = 0;
    bool rotation_in_progress = false;
    Severity severity = Severity::ok;
    std::string finding;  // empty when there is nothing to say
    bool fips = false;    // the cluster's O is FIPS.<cluster_id>
};

struct ExpirySummary {
    std::map<ExpiryStatus, std::size_t> by_status;  // every status, zeros included
    std::optional<Instant> earliest_not_after;
    std::string earliest_path;
    std::vector<ClusterSummary> clusters;
    std::map<ScanReason, std::size_t> errors_by_reason;  // every reason, zeros included
    std::size_t files_scanned = 0, files_skipped = 0, lifetime_mismatches = 0;
};

struct ExpiryReport {
    Instant evaluated_at{};
    std::optional<Seconds> cert_expiry;
    // The same value and where it came from; the command fills it (`cert_expiry` in the JSON).
    ConfiguredCertExpiry cert_expiry_setting;
    Severity status = Severity::ok;  // unknown when nothing could be evaluated
    std::vector<CertExpiry> certificates;
    std::vector<NodeDirectory> directories;
    std::vector<ScanError> errors;
    ExpirySummary summary;
    // The workers the scan ran on (ExpiryOptions::threads); renderers that work in parallel
    // (the JSON arrays) use as many, so --threads bounds the whole command.
    unsigned threads = default_thread_count();
};

// Scans the plan on options.threads workers and builds the report. Scan errors are findings
// (warning); the report is `unknown` only when no certificate could be evaluated.
ExpiryReport evaluate_expiry(const ScanPlan& plan, const ExpiryOptions& options);

}  // namespace swarmpki
