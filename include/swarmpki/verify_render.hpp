// Renderings of `verify`: would node A and each peer B accept each other in mutual TLS
// (swarmpki.verify/v1, docs/verify.md), and the text form, from peer_verify.hpp's results.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/verify_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/peer_verify.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <string>
#include <vector>

namespace swarmpki {

inline constexpr const char* kVerifySchema = "swarmpki.verify/v1";

// What `verify` found: node A, its peers, one verdict per peer (in the peers' order), the
// instant judged and the worst severity.
struct VerifyResult {
    PeerMaterial node;
    std::vector<PeerMaterial> peers;
    std::vector<PeerVerdict> verdicts;
    Instant evaluated_at{};
    Severity status = Severity::ok;
};

std::string render_verify_json(const VerifyResult& result);
// One line a pair ("A <-> B: accepted both ways"), each check under it, then the status.
std::string render_verify_text(const VerifyResult& result);

}  // namespace swarmpki
