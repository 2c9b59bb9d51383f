// swarmpki.cluster/v1 (SPEC section 9, docs/cluster.md): every member of SPEC's table in its
// order, findings written as inspect writes them. A value the engine did not give (a hash of a
// TrustRoot that was empty, an old engine's missing TLS info, a leaf that could not be read) is
// null, never a missing member or an empty string, so scripts can index without guarding.
#include "swarmpki/cluster_render.hpp"

#include "cluster_json_parts.hpp"
#include "finding_json.hpp"
#include "swarmpki/json_writer.hpp"

namespace swarmpki {

namespace {

// Empty means "not given" in the report's strings (cluster.hpp); JSON says so with null.
void text_or_null(JsonWriter& json, std::string_view name, const std::string& text) {
    if (text.empty()) json.null_member(name);
    else json.member(name, text);
}

}  // namespace

namespace render_detail {

void write_trust_root(JsonWriter& json, const ClusterTrustRoot& r) {
    json.key("trust_root").begin_object();
    text_or_null(json, "subject", r.subject);
    text_or_null(json, "public_key_sha256", r.public_key_sha256);
    json.key("not_after");
    if (r.not_after) json.value(format_rfc3339(*r.not_after));
    else json.null();
    text_or_null(json, "key_type", r.key_type);
    text_or_null(json, "root_file_sha256", r.root_file_sha256);
    text_or_null(json, "join_token_digest", r.join_token_digest);
    json.end_object();
}

void write_join_token(JsonWriter& json, std::string_view role, const ClusterJoinToken& t) {
    json.key(role).begin_object();
    text_or_null(json, "digest_base36", t.digest_base36);
    json.member("pins_trust_root", t.pins_trust_root);
    json.end_object();
}

}  // namespace render_detail

namespace {

using render_detail::write_join_token;
using render_detail::write_trust_root;

void write_engine(JsonWriter& json, const EngineIdentity& e) {
    json.key("engine").begin_object();
    json.member("host", e.host);
    text_or_null(json, "api_version", e.api_version);
    text_or_null(json, "server_version", e.server_version);
    json.end_object();
}

void write_external_cas(JsonWriter& json, const std::vector<ClusterExternalCa>& cas) {
    json.key("external_cas").begin_array();
    for (const ClusterExternalCa& ca : cas) {
        json.begin_object();
        json.member("protocol", ca.protocol);
        json.member("url", ca.url);
        text_or_null(json, "ca_cert_sha256", ca.ca_cert_sha256);
        json.end_object();
    }
    json.end_array();
}

void write_rotation(JsonWriter& json, const ClusterRotation& r) {
    json.key("rotation").begin_object();
    json.member("in_progress", r.in_progress);
    json.member("converged", r.converged);
    json.member("total", r.total);
    json.member("blocked_by", r.blocked_by);
    json.member("estimated_engine_seconds", r.estimated_engine_seconds);
    json.end_object();
}

void write_cert_expiry_applied(JsonWriter& json, const std::optional<CertExpiryApplied>& a) {
    json.key("cert_expiry_applied");
    if (!a) {
        json.null();
        return;
    }
    json.begin_object();
    json.member("leaf_path", a->leaf_path);
    json.member("leaf_lifetime_seconds", static_cast<std::int64_t>(a->leaf_lifetime.count()));
    json.member("applied", a->applied);
    json.end_object();
}

void write_cluster(JsonWriter& json, const ClusterFacts& c) {
    json.key("cluster").begin_object();
    json.member("id", c.id);
    json.key("cert_expiry_seconds");
    if (c.cert_expiry) json.value(static_cast<std::int64_t>(c.cert_expiry->count()));
    else json.null();
    // ForceRotate is a uint64 counter; JSON readers hold integers exactly only up to 2^53, and
    // the engine increments it by one per `docker swarm ca --rotate`.
    json.member("force_rotate", static_cast<std::int64_t>(c.force_rotate));
    write_external_cas(json, c.external_cas);
    write_trust_root(json, c.trust_root);
    json.key("desired_issuer").begin_object();
    text_or_null(json, "subject", c.desired_issuer.subject);
    text_or_null(json, "public_key_sha256", c.desired_issuer.public_key_sha256);
    json.end_object();
    write_rotation(json, c.rotation);
    json.key("join_tokens").begin_object();
    write_join_token(json, "worker", c.worker_token);
    write_join_token(json, "manager", c.manager_token);
    json.end_object();
    write_cert_expiry_applied(json, c.cert_expiry_applied);
    json.end_object();
}

void write_node(JsonWriter& json, const ClusterNode& n) {
    json.begin_object();
    json.member("id", n.id);
    json.member("hostname", n.hostname);
    json.key("role");
    if (n.role) json.value(to_string(*n.role));
    else json.null();
    json.member("availability", n.availability);
    json.member("state", n.state);
    json.member("leader", n.leader);
    text_or_null(json, "engine_version", n.engine_version);
    json.member("tls_status", to_string(n.tls_status));
    text_or_null(json, "issuer_public_key_sha256", n.issuer_public_key_sha256);
    text_or_null(json, "trust_root_sha256", n.trust_root_sha256);
    json.member("converged", n.converged);
    json.member("blocking_rotation", n.blocking_rotation);
    text_or_null(json, "reason", n.reason);
    json.end_object();
}

}  // namespace

std::string render_cluster_json(const ClusterReport& report) {
    JsonWriter json;
    json.begin_object();
    json.member("schema", kClusterSchema);
    json.member("evaluated_at", format_rfc3339(report.evaluated_at));
    json.member("status", status_word(report.status));
    write_engine(json, report.engine);
    write_cluster(json, report.cluster);
    json.key("nodes").begin_array();
    for (const ClusterNode& n : report.nodes) write_node(json, n);
    json.end_array();
    render_detail::write_findings(json, report.findings);
    json.end_object();
    std::string out = json.take();
    out += '\n';
    return out;
}

}  // namespace swarmpki
