// Where a node stands in a CA rotation, decided here only, for inspect (over the full reader's
// Certificates) and for the expiry scan (over the fast reader's records), so `inspect`'s
// rotation.state, expiry's directories[].rotation and serve's /metrics and /v1/inspect agree
// (private to pki/).
//
// Names cannot decide it (every swarm root is CN=swarm-ca), so keys and signatures do, with one
// exception, the leaf: who issued it is what the leaf declares (its AKI against the candidate's
// SKI, and the issuer name), checked by signature only when it names no key identifier. The
// expiry scan cannot pay a leaf verification per node (about 60 us, against 10-13 us for a whole
// file), and an answer that depended on which reader ran would be two answers; whether the leaf's
// signature holds is chain verification's question, which inspect and verify answer separately
// (a broken one is critical there, whatever the rotation state says).
//  - completed: the leaf is issued by a trust root and a bundled CA certificate carries that
//    root's key without being self-signed (the cross-signed copy left until the next renewal);
//  - in-progress: the leaf is issued by a bundled CA certificate that carries no trust root's key
//    and that a trust root issued (the engine's [leaf][cross-signed new root] shape);
//  - none otherwise.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "pki/swarm/rotation_state.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/rotation_state.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>

namespace swarmpki::rotation_detail {

// What the decision needs of the leaf, from either reader (borrowed).
struct LeafClaim {
    bool is_ca = false;
    const std::string* issuer = nullptr;  // DN, as Certificate::subject()
    const std::optional<std::string>* authority_key_id = nullptr;
    // Names and signature, for a leaf without an AKI: issued_by_name && signature_verified_by.
    std::function<bool(const Certificate& parent)> issued_by_name_and_signature;
};

// `parent`'s key verifies `child`'s signature; each reader passes its memoised check.
using SignedBy = std::function<bool(const Certificate& child, const Certificate& parent)>;

RotationState decide_rotation(const LeafClaim& leaf, std::span<const Certificate* const> bundled,
                              std::span<const Certificate* const> roots, const SignedBy& signed_by);

}  // namespace swarmpki::rotation_detail
