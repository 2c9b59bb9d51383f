// Per-certificate expiry classification: the statuses and severities of SPEC §5.
#include "swarmpki/expiry.hpp"

#include "expiry_facts.hpp"
#include "swarmpki/decimal.hpp"

namespace swarmpki {

namespace {

constexpr Seconds kDay{86400};

// Default thresholds per kind (SPEC §5).
Seconds default_crit(CertKind kind, Seconds lifetime) {
    if (kind == CertKind::node) return lifetime / 10;
    return 30 * kDay;
}
std::optional<Seconds> default_warn(CertKind kind) {
    if (kind == CertKind::node) return std::nullopt;  // renewal-overdue covers 80%..90%
    return 365 * kDay;
}

}  // namespace

std::string_view to_string(CertKind kind) {
    switch (kind) {
        case CertKind::node: return "node";
        case CertKind::intermediate: return "intermediate";
        case CertKind::root: return "root";
    }
    return "node";
}

std::string_view to_string(ExpiryStatus status) {
    switch (status) {
        case ExpiryStatus::ok: return "ok";
        case ExpiryStatus::renewal_window: return "renewal-window";
        case ExpiryStatus::renewal_overdue: return "renewal-overdue";
        case ExpiryStatus::expiring: return "expiring";
        case ExpiryStatus::expired: return "expired";
        case ExpiryStatus::not_yet_valid: return "not-yet-valid";
    }
    return "ok";
}

Seconds Threshold::before_not_after(Seconds lifetime) const {
    if (unit == Unit::seconds) return Seconds(static_cast<std::int64_t>(value));
    return Seconds(floor_to_int64(static_cast<double>(lifetime.count()) * value / 100.0));
}

std::optional<Threshold> parse_threshold(std::string_view text) {
    if (!text.empty() && text.back() == '%') {
        std::string_view number = text.substr(0, text.size() - 1);
        std::optional<double> percent = parse_plain_decimal(number);
        if (!percent || !(*percent > 0) || *percent > 100) return std::nullopt;
        return Threshold{Threshold::Unit::percent, *percent};
    }
    auto duration = parse_duration(text);
    if (!duration || duration->count() <= 0) return std::nullopt;
    return Threshold{Threshold::Unit::seconds, static_cast<double>(duration->count())};
}

Severity severity_of(ExpiryStatus status, Severity expiring_severity) {
    switch (status) {
        case ExpiryStatus::ok:
        case ExpiryStatus::renewal_window: return Severity::ok;
        case ExpiryStatus::renewal_overdue: return Severity::warning;
        case ExpiryStatus::expiring: return expiring_severity;
        case ExpiryStatus::expired:
        case ExpiryStatus::not_yet_valid: return Severity::critical;
    }
    return Severity::critical;
}

ExpiryVerdict judge_expiry(CertKind kind, Instant not_before, Instant not_after,
                           const ExpiryOptions& options) {
    const Seconds lifetime = not_after - not_before;
    const Seconds remaining = not_after - options.at;
    const RenewalWindow window = renewal_window(not_before, not_after);
    Seconds crit = options.crit ? options.crit->before_not_after(lifetime)
                                : default_crit(kind, lifetime);
    std::optional<Seconds> warn = options.warn
                                      ? std::optional(options.warn->before_not_after(lifetime))
                                      : default_warn(kind);
    Severity expiring = Severity::warning;
    ExpiryStatus status = ExpiryStatus::ok;
    if (options.at < not_before) {
        status = ExpiryStatus::not_yet_valid;
    } else if (options.at > not_after) {
        status = ExpiryStatus::expired;
    } else if (remaining <= crit) {
        status = ExpiryStatus::expiring;
        expiring = Severity::critical;
    } else if (warn && remaining <= *warn) {
        status = ExpiryStatus::expiring;
    } else if (kind == CertKind::node && options.at >= window.end) {
        status = ExpiryStatus::renewal_overdue;
    } else if (kind == CertKind::node && options.at >= window.start) {
        status = ExpiryStatus::renewal_window;
    }
    return {status, severity_of(status, expiring)};
}

CertExpiry evaluate_certificate(const Certificate& cert, CertKind kind,
                                const ExpiryOptions& options) {
    return expiry_detail::evaluate_facts(expiry_detail::facts_of(cert), kind, options);
}

CertExpiry expiry_detail::evaluate_facts(CertFacts&& cert, CertKind kind,
                                         const ExpiryOptions& options) {
    CertExpiry e;
    e.kind = kind;
    e.subject = std::move(cert.subject);
    e.issuer_cn = std::move(cert.issuer_cn);
    e.serial = std::move(cert.serial_hex);
    e.public_key_sha256 = std::move(cert.spki_sha256);
    e.not_before = cert.not_before;
    e.not_after = cert.not_after;
    e.lifetime = cert.not_after - cert.not_before;
    e.remaining = e.not_after - options.at;

    if (kind == CertKind::node) {
        e.renewal_window = renewal_window(e.not_before, e.not_after);
        if (options.cert_expiry)
            e.lifetime_mismatch = !lifetime_matches_cert_expiry(e.lifetime, *options.cert_expiry);
    }

    ExpiryVerdict verdict = judge_expiry(kind, e.not_before, e.not_after, options);
    e.status = verdict.status;
    e.severity = verdict.severity;
    if (e.lifetime_mismatch.value_or(false)) e.severity = worst(e.severity, Severity::notice);
    return e;
}

}  // namespace swarmpki
