// The expiry policy applied to the fast reader's facts: swarm layer, over the crypto layer's
// CertFacts (pki/crypto/expiry_cert_facts.hpp), which know nothing of expiry.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "pki/swarm/expiry_facts.hpp is swarm layer (3); a lower layer may not include it"
#endif

#include "../crypto/expiry_cert_facts.hpp"
#include "swarmpki/expiry.hpp"

namespace swarmpki::expiry_detail {

// evaluate_certificate on facts (expiry.cpp), moving their strings into the record.
CertExpiry evaluate_facts(CertFacts&& cert, CertKind kind, const ExpiryOptions& options);

}  // namespace swarmpki::expiry_detail
