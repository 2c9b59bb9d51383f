// swarmpki verify --dir A --peer-dir B...: would A and each B accept each other in mutual TLS?
// Library: peer_verify.hpp. Schema swarmpki.verify/v1 (docs/verify.md).
#include "commands.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/peer_verify.hpp"

#include <fmt/format.h>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json";

const HelpText kHelp{
    "swarmpki verify [--dir] A [--peer-dir] B [--peer-dir C ...] [--at T] [--format text|json]",
    "Would node A accept node B in mutual TLS, and B accept A? Each side's chain (leaf plus the\n"
    "intermediates in its swarm-node.crt) is verified against the other's swarm-root-ca.crt the\n"
    "engine's way (names, signatures, validity at --at), with EKU clientAuth for the dialling\n"
    "side and serverAuth for the listening side; both roles are checked each way. A refusal says\n"
    "why: different swarm, expired, not yet valid, still on the old root after a rotation, or a\n"
    "missing intermediate. Reference: docs/verify.md.",
    "  swarmpki verify --dir /var/lib/docker/swarm/certificates --peer-dir /srv/collected/w1\n"
    "  swarmpki verify --dir m1 --peer-dir w1 --peer-dir w2 --format json --at "
    "2027-01-01T00:00:00Z",
    "  0  every pair accepts both ways    2  a refusal    3  bad input (unreadable directory)\n"
    "  64  usage error"};

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

std::string render_json(const PeerMaterial& a, const std::vector<PeerMaterial>& peers,
                        const std::vector<PeerVerdict>& verdicts, Instant at, Severity status) {
    JsonWriter w;
    w.begin_object();
    w.member("schema", "swarmpki.verify/v1");
    w.member("evaluated_at", format_rfc3339(at));
    w.member("status", status_word(status));
    w.member("accepted", status == Severity::ok);
    w.key("node");
    write_node(w, a);
    w.key("peers").begin_array();
    for (std::size_t i = 0; i < peers.size(); ++i) {
        w.begin_object();
        w.key("node");
        write_node(w, peers[i]);
        w.member("accepted", verdicts[i].accepted);
        w.key("checks").begin_array();
        for (const PeerCheck& c : verdicts[i].checks) write_check(w, c);
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.take() + "\n";
}

std::string render_text(const std::vector<PeerVerdict>& verdicts, Severity status) {
    std::string out;
    for (const PeerVerdict& v : verdicts) {
        out += fmt::format("{} <-> {}: {}\n", v.dir, v.peer_dir,
                           v.accepted ? "accepted both ways" : "REFUSED");
        for (const PeerCheck& c : v.checks) {
            out += fmt::format("  {} verifies {} as {}: ", c.verifier, c.presenter,
                               to_string(c.presenter_role));
            out += c.accepted ? std::string("ok") : c.reason + " [" + c.code + "]";
            out += "\n";
        }
    }
    out += fmt::format("status: {}\n", status_word(status));
    return out;
}

}  // namespace

ExitCode run_verify(const Args& args) {
    po::options_description options("options");
    options.add_options()("dir", po::value<std::string>(), "node A's certificates directory")(
        "peer-dir", po::value<std::vector<std::string>>(), "a peer B's certificates directory");
    add_common_options(options, kFormats);
    po::positional_options_description positional;  // `verify A B...`, as inspect takes DIR
    positional.add("dir", 1).add("peer-dir", -1);
    po::variables_map vm = parse_args(args, options, positional);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, kFormats);
    if (!vm.count("dir")) throw UsageError("--dir is required");
    if (!vm.count("peer-dir")) throw UsageError("give at least one --peer-dir");

    // Everything is read before anything is judged: a bad directory is exit 3 with no document.
    PeerMaterial a = load_peer_material(vm["dir"].as<std::string>());
    std::vector<PeerMaterial> peers;
    for (const std::string& dir : vm["peer-dir"].as<std::vector<std::string>>())
        peers.push_back(load_peer_material(dir));

    std::vector<PeerVerdict> verdicts;
    Severity status = Severity::ok;
    for (const PeerMaterial& b : peers) {
        verdicts.push_back(verify_peers(a, b, common.now));
        status = worst(status, verdicts.back().severity);
    }
    ExitCode code = exit_code_for(status);
    if (prints_result(common, code))
        write_stdout(common.format == "json" ? render_json(a, peers, verdicts, common.now, status)
                                             : render_text(verdicts, status));
    return code;
}

}  // namespace swarmpki::cli
