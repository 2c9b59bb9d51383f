// swarmpki.rotation/v1: the rotation report as JSON (SPEC section 8). No secrets: tokens are
// written only to the --out directory.
#include "swarmpki/json_writer.hpp"
#include "swarmpki/rotation.hpp"

#include <cmath>

namespace swarmpki {

namespace {

double rounded(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

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
    json.member("converged", r.converged);
    json.member("blocked_by", r.blocked_by);
    json.key("stranded").begin_array();
    for (const StrandedNode& s : r.stranded)
        json.begin_object().member("node", s.node).member("reason", s.reason).end_object();
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
    json.end_object();
    return json.take() + "\n";
}

}  // namespace swarmpki
