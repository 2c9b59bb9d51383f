// What a .swarm-node.crt beside the node's pair means, decided the way the engine's reader
// decides it (swarmkit ca/keyreadwriter.go Read, DOMAIN.md §0 and §12).
//
// KeyReadWriter.Write writes the new certificate to .swarm-node.crt, then the new key over
// swarm-node.key, then renames .swarm-node.crt over swarm-node.crt. Read takes swarm-node.crt when
// the key matches it (or when there is no .swarm-node.crt); otherwise .swarm-node.crt when the key
// matches that one, moving it into place; otherwise it fails. The decision is made once, in
// read_node_directory, and every command reads the directory through it.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/renewal.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include <string_view>

namespace swarmpki {

// The engine's temporary name for the node certificate it is writing.
inline constexpr const char* kPendingNodeCertFile = ".swarm-node.crt";

enum class PendingCertificate {
    absent,     // no .swarm-node.crt
    leftover,   // the key matches swarm-node.crt (or both certificates carry one key, or there is
                // no key to match): the engine keeps swarm-node.crt
    in_flight,  // the key matches .swarm-node.crt and not swarm-node.crt (or swarm-node.crt is
                // missing): the engine moves .swarm-node.crt into place at its next read
    stale,      // the key matches neither: the engine removes .swarm-node.crt and refuses the pair
    unchecked,  // the certificates carry different keys and the key could not be compared (it is
                // encrypted and no unlock key was given, or unreadable): swarm-node.crt is judged
};

// "absent", "leftover", "in-flight", "stale", "unchecked"
std::string_view to_string(PendingCertificate state);

}  // namespace swarmpki
