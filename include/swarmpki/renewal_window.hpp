// The engine's node certificate schedule, decided here only (DOMAIN.md §3.1-3.2): swarmkit signs
// a node certificate from issue time - 1 h (CertBackdate) to issue time + cert-expiry, and the
// node renews it at a random point between 50% and 80% of NotAfter - NotBefore, measured from
// NotBefore. ca issues with this backdate; inspect and expiry report and judge this window.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/renewal_window.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/time.hpp"

namespace swarmpki {

inline constexpr Seconds kNodeCertBackdate{3600};  // swarmkit's CertBackdate

// Whether a node certificate of this lifetime (NotAfter - NotBefore) was issued under this
// cert-expiry: lifetime = cert-expiry + the backdate, within a minute (issue times are rounded
// to it). The one rule: expiry's lifetime_mismatch, inspect's and cluster's stale-signer finding.
inline constexpr Seconds kLifetimeTolerance{60};
inline bool lifetime_matches_cert_expiry(Seconds lifetime, Seconds cert_expiry) {
    const Seconds issued = lifetime - kNodeCertBackdate;
    const Seconds difference = issued > cert_expiry ? issued - cert_expiry : cert_expiry - issued;
    return difference <= kLifetimeTolerance;
}

struct RenewalWindow {
    Instant start, end;  // NotBefore + 50% and + 80% of the lifetime, whole seconds (rounded down)
};

inline RenewalWindow renewal_window(Instant not_before, Instant not_after) {
    const Seconds lifetime = not_after - not_before;
    return {not_before + lifetime * 5 / 10, not_before + lifetime * 8 / 10};
}

}  // namespace swarmpki
