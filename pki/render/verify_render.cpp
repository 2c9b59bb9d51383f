// swarmpki.verify/v1 and the text form of `verify` (docs/verify.md).
#include "swarmpki/verify_render.hpp"

#include "swarmpki/json_writer.hpp"

#include <fmt/format.h>

namespace swarmpki {

namespace {

void write_node(JsonWriter& w, const PeerMaterial& m) {
    w.begin_object();
    w.member("dir", m.dir);
    w.member("node_id", m.node_id);
    w.member("role", m.role);
    w.member("cluster_id", m.cluster_id);
    w.member("fips", m.fips);
    w.member("root_file_sha256", m.root_file_sha256);
    w.end_object();
}

void write_check(JsonWriter& w, const PeerCheck& c) {
    w.begin_object();
    w.member("verifier", c.verifier);
    w.member("presenter", c.presenter);
    w.member("presenter_role", to_string(c.presenter_role));
    w.member("accepted", c.accepted);
    if (c.accepted) {
        w.null_member("code");
        w.null_member("reason");
    } else {
        w.member("code", c.code);
        w.member("reason", c.reason);
    }
    w.member("path", c.path);
    w.end_object();
}

}  // namespace

std::string render_verify_json(const VerifyResult& result) {
    JsonWriter w;
    w.begin_object();
    w.member("schema", kVerifySchema);
    w.member("evaluated_at", format_rfc3339(result.evaluated_at));
    w.member("status", status_word(result.status));
    w.member("accepted", result.status == Severity::ok);
    w.key("node");
    write_node(w, result.node);
    w.key("peers").begin_array();
    for (std::size_t i = 0; i < result.peers.size(); ++i) {
        w.begin_object();
        w.key("node");
        write_node(w, result.peers[i]);
        w.member("accepted", result.verdicts[i].accepted);
        w.key("checks").begin_array();
        for (const PeerCheck& c : result.verdicts[i].checks) write_check(w, c);
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.take() + "\n";
}

std::string render_verify_text(const VerifyResult& result) {
    std::string out;
    for (const PeerVerdict& v : result.verdicts) {
        out += fmt::format("{} <-> {}: {}\n", v.dir, v.peer_dir,
                           v.accepted ? "accepted both ways" : "REFUSED");
        for (const PeerCheck& c : v.checks) {
            out += fmt::format("  {} verifies {} as {}: ", c.verifier, c.presenter,
                               to_string(c.presenter_role));
            out += c.accepted ? std::string("ok") : c.reason + " [" + c.code + "]";
            out += "\n";
        }
    }
    out += fmt::format("status: {}\n", status_word(result.status));
    return out;
}

}  // namespace swarmpki
