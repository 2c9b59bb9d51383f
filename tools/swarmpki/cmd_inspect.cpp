// swarmpki inspect: flags in, one InspectReport out, rendered once and written whole.
//
// Exit code = run_verdict (verdict.hpp): the worst severity found (0 ok, 1 warning, 2 critical),
// 3 when a directory could not be evaluated and nothing worse was found (each of its one-line
// reasons also goes to stderr; stdout still gets the complete document), 64 for usage errors.
// The unlock key and the token's secret stay in memory.
#include "commands.hpp"
#include "engine_seam.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/inspect_render.hpp"
#include "swarmpki/join_token.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/redact.hpp"

#include <iostream>

namespace swarmpki::cli {

namespace {

const HelpText kHelp{
    "swarmpki inspect [[--dir] DIR]... [--unlock-key-file F] [--token TOKEN] [--cert-expiry D | "
    "--engine [--host URL] | --no-engine] [options]",
    "Reports on a swarm node's certificate directory: node ID, role, cluster, issuer, validity,\n"
    "renewal window, trust root and its join-token digest, CA rotation state, chain verification\n"
    "(the engine's way), the key (type, encryption, PEM header names, match), file modes, and\n"
    "findings with severities. Read-only: nothing under DIR is ever written. With an unlock key\n"
    "an autolocked key is decrypted in memory to check that it matches the certificate. A DIR\n"
    "is a node's certificates directory, or a tree of collected ones (as expiry walks it).\n"
    "With no DIR it reads the engine's own directory and, when the local engine answers and is\n"
    "a manager, asks it for the configured cert-expiry (a leaf issued otherwise is a notice);\n"
    "with DIRs the engine is asked only with --engine or --host, never with --no-engine.",
    "  swarmpki inspect\n"
    "  swarmpki inspect --dir /srv/node1/certificates --dir /srv/node2/certificates --format json\n"
    "  swarmpki inspect /srv/collected\n"
    "  docker swarm unlock-key -q | swarmpki inspect --unlock-key-stdin\n"
    "  swarmpki inspect --token \"$(docker swarm join-token -q worker)\"\n"
    "  swarmpki inspect --at 2027-01-01T00:00:00Z --format json",
    kStandardExitCodes};

po::options_description options_of_inspect() {
    po::options_description options("options");
    options.add_options()(
        "dir", po::value<std::vector<std::string>>()->composing(),
        "a node's certificates directory or a tree of them (repeatable, or as arguments; default "
        "/var/lib/docker/swarm/certificates)")("token", po::value<std::string>(),
                                               "a join token: does it pin this node's trust root?")(
        "token-file", po::value<std::string>(), "read the join token from this file")(
        "cert-expiry", po::value<std::string>(),
        "the cluster's --cert-expiry (2160h, 90d): a leaf issued otherwise is a notice");
    add_engine_options(options);
    add_unlock_key_options(options);
    add_common_options(options, "output format: text or json");
    return options;
}

std::optional<SecretBytes> read_unlock_key(const po::variables_map& vm) {
    std::optional<std::string> text = read_unlock_key_text(vm);
    if (!text) return std::nullopt;
    struct Wipe {
        std::string& s;
        ~Wipe() { secure_wipe(s.data(), s.size()); }
    } wipe{*text};
    return parse_unlock_key(*text);
}

std::optional<JoinToken> read_token(const po::variables_map& vm) {
    if (vm.count("token") && vm.count("token-file"))
        throw UsageError("give --token or --token-file, not both");
    if (vm.count("token-file")) return read_join_token_file(vm["token-file"].as<std::string>());
    if (!vm.count("token")) return std::nullopt;
    JoinTokenParse parsed = parse_join_token(join_token_text(vm["token"].as<std::string>()));
    if (!parsed.token)
        throw Error("the join token", "not a valid join token: " + parsed.error,
                    "give the token `docker swarm join-token -q worker` prints");
    return std::move(parsed.token);
}

}  // namespace

ExitCode run_inspect(const Args& args) {
    po::options_description options = options_of_inspect();
    po::positional_options_description positional;  // `inspect DIR` is `inspect --dir DIR`
    positional.add("dir", -1);
    po::variables_map vm = parse_args(args, options, positional);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, "text|json");
    std::vector<std::string> dirs;
    if (vm.count("dir")) dirs = vm["dir"].as<std::vector<std::string>>();
    const std::optional<Seconds> flag = read_cert_expiry_flag(vm);
    // Before the token or the unlock key is read: in `swarmpki` this may re-run the command.
    EngineAnswer engine = consult_engine("inspect", args,
                                         read_engine_request(vm, !dirs.empty(), flag.has_value()));
    if (dirs.empty()) dirs.push_back(engine.certificates_dir.value_or(kDefaultCertificatesDir));
    const ConfiguredCertExpiry setting = configured_cert_expiry(flag, engine.setting);
    std::optional<JoinToken> token = read_token(vm);
    std::optional<SecretBytes> unlock_key = read_unlock_key(vm);

    InspectOptions inspect_options;
    inspect_options.unlock_key = unlock_key ? &*unlock_key : nullptr;
    inspect_options.token = token ? &*token : nullptr;
    inspect_options.cert_expiry = setting.seconds;
    InspectReport report = inspect_nodes(dirs, inspect_options, common.now);
    report.cert_expiry_setting = setting;

    for (const NodeReport& node : report.nodes)
        for (const std::string& error : node.errors)
            std::cerr << "swarmpki: " << redact_message(error) << "\n";
    ExitCode code = exit_code_for(report.severity);
    if (!prints_result(common, code)) return code;
    write_stdout(common.format == "json"
                     ? render_inspect_json(report)
                     : render_inspect_text(report, common.color ? TextColor::yes : TextColor::no));
    return code;
}

}  // namespace swarmpki::cli
