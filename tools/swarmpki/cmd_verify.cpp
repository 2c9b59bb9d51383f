// swarmpki verify --dir A --peer-dir B...: would A and each B accept each other in mutual TLS?
// Library: peer_verify.hpp. Schema swarmpki.verify/v1 (docs/verify.md).
#include "commands.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/peer_verify.hpp"
#include "swarmpki/verify_render.hpp"

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
    "  swarmpki verify --dir /var/lib/docker/swarm/certificates --peer-dir /srv/collected/worker1\n"
    "  swarmpki verify --dir /srv/node1/certificates --peer-dir /srv/node2/certificates \\\n"
    "      --format json --at 2027-01-01T00:00:00Z",
    "  0  every pair accepts both ways    2  a refusal    3  bad input (unreadable directory)\n"
    "  64  usage error"};

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
    VerifyResult result;
    result.node = load_peer_material(vm["dir"].as<std::string>());
    for (const std::string& dir : vm["peer-dir"].as<std::vector<std::string>>())
        result.peers.push_back(load_peer_material(dir));

    result.evaluated_at = common.now;
    for (const PeerMaterial& b : result.peers) {
        result.verdicts.push_back(verify_peers(result.node, b, common.now));
        result.status = worst(result.status, result.verdicts.back().severity);
    }
    ExitCode code = exit_code_for(result.status);
    if (prints_result(common, code))
        write_stdout(common.format == "json" ? render_verify_json(result)
                                             : render_verify_text(result));
    return code;
}

}  // namespace swarmpki::cli
