// swarmpki.rotation/v1: the rotation report as JSON (SPEC section 8). No secrets: tokens are
// written only to the --out directory.
#include "swarmpki/decimal.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/rotation.hpp"

namespace swarmpki {

namespace {

double rounded(double seconds) {
    return static_cast<double>(round_to_int64(seconds * 1000.0)) / 1000.0;
}

void write_not_started(JsonWriter& json, const std::optional<RotationNotStarted>& n) {
    if (!n) {
        json.null_member("not_started");
        return;
    }
    json.key("not_started")
        .begin_object()
        .member("reason", n->reason)
        .member("message", n->message)
        .member("engine_error", n->engine_error)
        .member("remedy", n->remedy)
        .member("down_managers", n->down_managers)
        .end_object();
}

void write_removal(JsonWriter& json, const RemovalPlan& plan) {
    json.key("removal")
        .begin_object()
        .member("performed", plan.performed)
        .member("keeps_quorum", plan.keeps_quorum);
    if (plan.refusal.empty()) json.null_member("refusal");
    else json.member("refusal", plan.refusal);
    json.key("steps").begin_array();
    for (const RemovalStep& s : plan.steps)
        json.begin_object()
            .member("node", s.node)
            .member("role", to_string(s.role))
            .member("command", s.command)
            .member("raft_managers_after", s.raft_managers_after)
            .end_object();
    json.end_array().end_object();
}

// The real cluster the rehearsal ran on (rotate simulate --engine); null for a drawn cluster.
void write_engine(JsonWriter& json, const std::optional<LiveRotationReport>& e) {
    if (!e) {
        json.null_member("engine");
        return;
    }
    json.key("engine")
        .begin_object()
        .member("host", e->host)
        .member("api_version", e->api_version)
        .member("server_version", e->server_version);
    json.key("trust_root")
        .begin_object()
        .member("subject", e->trust_root_subject)
        .member("key_type", e->trust_root_key_type)
        .member("public_key_sha256", e->trust_root_public_key_sha256)
        .member("file_sha256", e->trust_root_file_sha256)
        .end_object();
    json.member("stand_in_root", e->stand_in);
    json.key("would_block").begin_array();
    for (const LiveNode& n : e->would_block)
        json.begin_object()
            .member("node", n.id)
            .member("hostname", n.hostname)
            .member("role", to_string(n.role))
            .member("reason", n.reason)
            .end_object();
    json.end_array();
    if (e->estimated_engine_seconds)
        json.member("estimated_engine_seconds", rounded(*e->estimated_engine_seconds));
    else json.null_member("estimated_engine_seconds");
    json.end_object();
}

}  // namespace

std::string render_rotation_json(const RotationReport& r) {
    JsonWriter json;
    json.begin_object().member("schema", "swarmpki.rotation/v1");
    json.key("nodes")
        .begin_object()
        .member("managers", r.managers)
        .member("workers", r.workers)
        .member("offline", r.offline)
        .end_object();
    json.member("cluster_id", r.cluster_id);
    json.key("phases").begin_array();
    for (const SimulatedPhase& p : r.phases)
        json.begin_object()
            .member("name", p.name)
            .member("seconds", rounded(p.seconds))
            .member("engine_seconds", rounded(p.engine_seconds))
            .member("verifications", p.verifications)
            .member("failures", p.failures)
            .end_object();
    json.end_array();
    json.key("quorum")
        .begin_object()
        .member("managers", r.quorum.managers)
        .member("reachable", r.quorum.reachable)
        .member("needed", r.quorum.needed())
        .member("leader", r.quorum.has_leader())
        .end_object();
    write_not_started(json, r.not_started);
    json.member("converged", r.converged);
    // v1 promised node IDs here; each node's role is in blocked_by_nodes beside it.
    json.key("blocked_by").begin_array();
    for (const NodeRef& n : r.blocked_by) json.value(n.node);
    json.end_array();
    json.key("blocked_by_nodes").begin_array();
    for (const NodeRef& n : r.blocked_by)
        json.begin_object().member("node", n.node).member("role", to_string(n.role)).end_object();
    json.end_array();
    write_removal(json, r.removal);
    json.key("stranded").begin_array();
    for (const StrandedNode& s : r.stranded)
        json.begin_object()
            .member("node", s.node)
            .member("role", to_string(s.role))
            .member("reason", s.reason)
            .end_object();
    json.end_array();
    json.member("old_token_accepted_after", r.old_token_accepted_after);
    json.key("crypto")
        .begin_object()
        .member("keygen", static_cast<std::int64_t>(r.crypto.keygen))
        .member("sign", static_cast<std::int64_t>(r.crypto.sign))
        .member("verify", static_cast<std::int64_t>(r.crypto.verify))
        .end_object();
    json.member("seconds", rounded(r.seconds));
    json.member("engine_seconds", rounded(r.engine_seconds));
    json.member("status", rotation_status(r));
    if (r.refusal) {
        json.key("refusal")
            .begin_object()
            .member("file", r.refusal->subject)
            .member("message", r.refusal->message)
            .member("engine_error", r.refusal->engine_error)
            .member("hazard", r.refusal->hazard)
            .member("remedy", r.refusal->remedy)
            .end_object();
    } else {
        json.null_member("refusal");
    }
    json.member("failure_details", r.failure_details);
    json.key("roots").begin_object();
    json.key("old")
        .begin_object()
        .member("file_sha256", r.old_root_sha256)
        .member("public_key_sha256", r.old_root_public_key_sha256)
        .end_object();
    json.key("new")
        .begin_object()
        .member("file_sha256", r.new_root_sha256)
        .member("public_key_sha256", r.new_root_public_key_sha256)
        .end_object();
    json.end_object();
    json.member("threads", static_cast<std::int64_t>(r.threads));
    json.member("out", r.out_dir);
    write_engine(json, r.engine);
    json.end_object();
    return json.take() + "\n";
}

}  // namespace swarmpki
