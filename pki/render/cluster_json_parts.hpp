// Objects of swarmpki.cluster/v1 that swarmpki.rotation-status/v1 carries as they are (one writer
// each, in cluster_json.cpp): the trust root, and a join token's digest and pin.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error "pki/render/cluster_json_parts.hpp is render layer (4)"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/json_writer.hpp"

#include <string_view>

namespace swarmpki::render_detail {

// "trust_root": {subject, public_key_sha256, not_after, key_type, root_file_sha256,
// join_token_digest}
void write_trust_root(JsonWriter& json, const ClusterTrustRoot& r);
// "<role>": {digest_base36, pins_trust_root}
void write_join_token(JsonWriter& json, std::string_view role, const ClusterJoinToken& t);

}  // namespace swarmpki::render_detail
