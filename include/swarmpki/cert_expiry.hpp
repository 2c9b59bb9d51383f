// The cluster's configured cert-expiry (`docker swarm update --cert-expiry`), and where this run
// learned it: from the engine's API (Spec.CAConfig.NodeCertExpiry, on a manager), from the
// --cert-expiry flag, or not at all (SPEC section 9). inspect and expiry report it alike.
#pragma once
// Util layer (1): includable from every layer.

#include "swarmpki/time.hpp"

#include <optional>
#include <string>

namespace swarmpki {

enum class CertExpirySource { engine, flag };
const char* to_string(CertExpirySource source);  // "engine", "flag"

struct ConfiguredCertExpiry {
    std::optional<Seconds> seconds;
    std::optional<CertExpirySource> source;  // null exactly when seconds is
    // For people: where it came from ("the engine at unix:///var/run/docker.sock") or why it is
    // not known ("not asked: give --cert-expiry, or --engine on a manager"). Never a secret.
    std::string origin;
};

}  // namespace swarmpki
