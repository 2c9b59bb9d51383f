// swarmpki.inspect/v1: every member SPEC section 8 names, in a stable order, nulls where a value
// is unknown rather than missing members, so scripts can index without guarding.
#include "swarmpki/inspect_render.hpp"

#include "cert_expiry_render.hpp"
#include "finding_json.hpp"
#include "swarmpki/json_writer.hpp"

namespace swarmpki {

namespace {

void write_time(JsonWriter& json, std::string_view name, Instant at) {
    json.member(name, format_rfc3339(at));
}

void write_identity(JsonWriter& json, const std::optional<LeafIdentity>& maybe) {
    json.key("node");
    if (!maybe) {
        json.null();
        return;
    }
    const LeafIdentity& n = *maybe;
    json.begin_object();
    json.member("id", n.id);
    json.member("role", n.role);
    json.member("cluster_id", n.cluster_id);
    json.member("fips", n.fips);
    json.member("sans", n.sans);
    json.member("serial", n.serial);
    write_time(json, "not_before", n.not_before);
    write_time(json, "not_after", n.not_after);
    json.member("lifetime_seconds", n.lifetime_seconds);
    json.member("remaining_seconds", n.remaining_seconds);
    json.member("issuer", n.issuer);
    json.member("issuer_public_key_sha256", n.issuer_public_key_sha256);
    json.key("renewal_window").begin_object();
    write_time(json, "start", n.renewal_window.start);
    write_time(json, "end", n.renewal_window.end);
    json.end_object();
    json.end_object();
}

void write_chain(JsonWriter& json, const std::vector<ChainEntry>& chain) {
    json.key("chain").begin_array();
    for (const ChainEntry& c : chain) {
        json.begin_object();
        json.member("kind", to_string(c.kind));
        json.member("subject", c.subject);
        json.member("issuer", c.issuer);
        json.member("serial", c.serial);
        write_time(json, "not_before", c.not_before);
        write_time(json, "not_after", c.not_after);
        json.member("public_key_sha256", c.public_key_sha256);
        json.end_object();
    }
    json.end_array();
}

void write_roots(JsonWriter& json, const std::vector<TrustRootEntry>& roots) {
    json.key("trust_roots").begin_array();
    for (const TrustRootEntry& r : roots) {
        json.begin_object();
        json.member("subject", r.subject);
        json.member("serial", r.serial);
        write_time(json, "not_before", r.not_before);
        write_time(json, "not_after", r.not_after);
        json.member("public_key_sha256", r.public_key_sha256);
        json.member("key_type", r.key_type);
        json.end_object();
    }
    json.end_array();
}

void write_key(JsonWriter& json, const KeyReport& k) {
    json.key("key").begin_object();
    json.member("present", k.present);
    json.member("readable", k.readable);
    json.member("type", k.type);
    json.member("pem_type", k.pem_type);
    json.member("encrypted", k.encrypted);
    json.member("kek_version", k.kek_version);
    json.member("pem_headers", k.pem_headers);
    json.member("matches_certificate", k.matches_certificate);
    json.member("mode", k.mode);
    json.member("owner", k.owner);
    json.end_object();
}

void write_files(JsonWriter& json, const std::vector<FileReport>& files) {
    json.key("files").begin_array();
    for (const FileReport& f : files) {
        json.begin_object();
        json.member("name", f.name);
        json.member("path", f.path);
        json.member("mode", f.mode);
        json.member("owner", f.owner);
        json.member("group", f.group);
        json.member("size", static_cast<std::int64_t>(f.size));
        json.member("symlink_target", f.symlink_target);
        json.member("outside_directory", f.outside_directory);
        json.end_object();
    }
    json.end_array();
}

void write_token(JsonWriter& json, const std::optional<TokenReport>& token) {
    json.key("token");
    if (!token) {
        json.null();
        return;
    }
    json.begin_object();
    json.member("version", token->version);
    json.member("fips", token->fips);
    json.member("digest_base36", token->digest_base36);
    json.member("pins_root", token->pins_root);
    json.member("matching_variant", token->matching_variant);
    json.end_object();
}

void write_node(JsonWriter& json, const NodeReport& n) {
    json.begin_object();
    json.member("dir", n.dir);
    json.member("kind", to_string(n.kind));
    json.member("status", report_status(n.severity));
    json.member("error", n.error);
    json.member("errors", n.errors);
    write_identity(json, n.node);
    write_chain(json, n.chain);
    write_roots(json, n.trust_roots);
    json.member("root_file_sha256", n.root_file_sha256);
    json.member("join_token_digest", n.join_token_digest);
    json.key("rotation");
    if (n.rotation) {
        json.begin_object().member("state", to_string(*n.rotation)).end_object();
    } else {
        json.null();
    }
    json.member("chain_verified", n.chain_verified);
    if (n.chain_verified == std::optional<bool>(false)) {
        json.member("chain_failure", n.chain_failure);
        json.member("chain_failure_code", n.chain_failure_code);
    } else {
        json.null_member("chain_failure");
        json.null_member("chain_failure_code");
    }
    write_key(json, n.key);
    write_files(json, n.files);
    write_token(json, n.token);
    render_detail::write_findings(json, n.findings);
    json.end_object();
}

void write_fleet(JsonWriter& json, const std::optional<FleetSummary>& fleet) {
    json.key("fleet");
    if (!fleet) {
        json.null();
        return;
    }
    const FleetSummary& f = *fleet;
    json.begin_object();
    json.member("nodes", f.nodes);
    json.key("by_status").begin_object();
    json.member("ok", f.ok).member("warning", f.warning);
    json.member("critical", f.critical).member("unknown", f.unknown);
    json.end_object();
    json.member("cluster_ids", f.cluster_ids);
    json.member("root_file_sha256s", f.root_file_sha256s);
    json.key("rotation_states").begin_object();
    json.member("none", f.rotation_none).member("in-progress", f.rotation_in_progress);
    json.member("completed", f.rotation_completed);
    json.end_object();
    json.key("earliest_not_after");
    if (f.earliest_not_after) json.value(format_rfc3339(*f.earliest_not_after));
    else json.null();
    json.key("earliest_dir");
    if (f.earliest_not_after) json.value(f.earliest_dir);
    else json.null();
    render_detail::write_findings(json, f.findings);
    json.end_object();
}

}  // namespace

std::string render_inspect_json(const InspectReport& report) {
    JsonWriter json;
    json.begin_object();
    json.member("schema", kInspectSchema);
    json.member("evaluated_at", format_rfc3339(report.evaluated_at));
    json.member("status", report_status(report.severity));
    render_detail::write_cert_expiry_member(json, report.cert_expiry_setting);
    json.key("nodes").begin_array();
    for (const NodeReport& n : report.nodes) write_node(json, n);
    json.end_array();
    write_fleet(json, report.fleet);
    json.end_object();
    std::string out = json.take();
    out += '\n';
    return out;
}

}  // namespace swarmpki
