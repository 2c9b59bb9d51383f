// swarmpki ca init | issue | cross-sign: the engine's CA profile from the command line.
#include "commands.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/ca_render.hpp"
#include "swarmpki/error.hpp"

#include <filesystem>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json";

// Issue time: what --at means here (the certificate's NotBefore is derived from it).
constexpr const char* kIssueAtHelp =
    "issue as of this RFC 3339 instant instead of now (NotBefore derives from it)";

// One small document per action: what was written and the certificate made. No key material.
void report(const CommonOptions& common, const char* action, const Certificate& certificate,
            std::vector<std::string> files) {
    if (common.quiet) return;
    CaResult result{action, ca_certificate_facts(certificate), std::move(files)};
    write_stdout(common.format == "json" ? render_ca_json(result) : render_ca_text(result));
}

std::string required(const po::variables_map& vm, const char* name) {
    if (!vm.count(name)) throw UsageError(std::string("--") + name + " is required");
    return vm[name].as<std::string>();
}

Overwrite overwrite_of(const po::variables_map& vm) {
    return vm.count("force") ? Overwrite::yes : Overwrite::no;
}

std::string path_in(const std::string& dir, const char* name) {
    return (std::filesystem::path(dir) / name).string();
}

po::options_description init_options() {
    po::options_description options("ca init options");
    options.add_options()("out", po::value<std::string>(),
                          "directory to write swarm-root-ca.crt and swarm-root-ca.key into")(
        "key-type", po::value<std::string>()->default_value("ecdsa-p256"),
        "ecdsa-p256 (the engine's) | ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096")(
        "cn", po::value<std::string>()->default_value(kDefaultRootCommonName),
        "the root's common name")("force", "replace existing files");
    add_common_options(options, kFormats, kIssueAtHelp);
    return options;
}

ExitCode run_init(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, kFormats);
    std::string out = required(vm, "out");
    auto key_type = parse_ca_key_type(vm["key-type"].as<std::string>());
    if (!key_type)
        throw UsageError(
            "--key-type must be ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096, not '" +
            vm["key-type"].as<std::string>() + "'");
    RootOptions root_options;
    root_options.key_type = *key_type;
    root_options.common_name = vm["cn"].as<std::string>();
    if (root_options.common_name.empty()) throw UsageError("--cn must not be empty");
    RootCa root = create_root(root_options, common.now);
    write_ca_directory(out, root, overwrite_of(vm));
    report(common, "init", root.certificate,
           {path_in(out, kRootCertFile), path_in(out, kRootKeyFile)});
    return ExitCode::ok;
}

po::options_description issue_options() {
    po::options_description options("ca issue options");
    options.add_options()("ca", po::value<std::string>(), "CA directory (from `swarmpki ca init`)")(
        "node-id", po::value<std::string>(), "node ID (CN); default: a random engine-style ID")(
        "role", po::value<std::string>(),
        "manager | worker")("cluster-id", po::value<std::string>(),
                            "cluster ID (O); default: a random engine-style ID")(
        "cert-expiry", po::value<std::string>()->default_value("2160h"),
        "certificate lifetime after issue (Go duration, also d/w); minimum 1h")(
        "out", po::value<std::string>(), "node directory to write")("force",
                                                                    "replace existing files");
    add_common_options(options, kFormats, kIssueAtHelp);
    return options;
}

ExitCode run_issue(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, kFormats);
    auto role = parse_node_role(required(vm, "role"));
    if (!role)
        throw UsageError("--role must be manager or worker, not '" + vm["role"].as<std::string>() +
                         "'");
    std::string out = required(vm, "out");
    std::string cert_expiry_text = vm["cert-expiry"].as<std::string>();
    auto cert_expiry = parse_duration(cert_expiry_text);
    if (!cert_expiry)
        throw UsageError("--cert-expiry '" + cert_expiry_text +
                         "' is not a duration (like 2160h or 90d)");
    check_node_cert_expiry(*cert_expiry, "--cert-expiry " + cert_expiry_text);
    NodeIdentity node{vm.count("node-id") ? vm["node-id"].as<std::string>() : new_engine_id(),
                      *role,
                      vm.count("cluster-id") ? vm["cluster-id"].as<std::string>()
                                             : new_engine_id()};
    check_identifier(node.node_id, "--node-id");
    check_identifier(node.cluster_id, "--cluster-id");

    CaDirectory ca = load_ca_directory(required(vm, "ca"));
    NodeCertificateIssuer issuer(ca.signing_certificate(), ca.key, *cert_expiry);
    PrivateKey node_key = KeyGenerator().generate();
    Certificate leaf = issuer.issue(node, node_key.get0(), common.now);
    NodeFiles files{ca.root_pem, leaf.to_pem() + (ca.cross_signed_pem ? *ca.cross_signed_pem : ""),
                    encode_node_key(node_key)};
    write_node_directory(out, files, overwrite_of(vm));
    report(common, "issue", leaf,
           {path_in(out, kRootCertFile), path_in(out, kNodeCertFile), path_in(out, kNodeKeyFile)});
    return ExitCode::ok;
}

po::options_description cross_sign_options() {
    po::options_description options("ca cross-sign options");
    options.add_options()("old", po::value<std::string>(),
                          "CA directory of the current root (its key signs)")(
        "new", po::value<std::string>(), "CA directory of the root being rotated to")(
        "out", po::value<std::string>(),
        "file to write the cross-signed certificate to")("force", "replace an existing file");
    add_common_options(options, kFormats, kIssueAtHelp);
    return options;
}

ExitCode run_cross_sign(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, kFormats);
    std::string new_dir = required(vm, "new");
    CaDirectory old_ca = load_ca_directory(required(vm, "old"));
    CaDirectory new_ca = load_ca_directory(new_dir);
    std::string out = required(vm, "out");
    Certificate cross = cross_sign(new_ca.root, old_ca.root, old_ca.key,
                                   path_in(new_dir, kRootCertFile));
    write_file_atomically(out, cross.to_pem(), 0644, overwrite_of(vm));
    report(common, "cross-sign", cross, {out});
    return ExitCode::ok;
}

// ---- the table ------------------------------------------------------------------------------

// Every example runs as written, in an empty directory (tests/test_cli_help.cpp).
constexpr Subcommand kSubcommands[] = {
    {"init",
     "create a root CA with the engine's profile",
     {"swarmpki ca init --out DIR [--key-type T] [--cn NAME] [--at T] [--force]",
      "Creates a root CA with the engine's profile: CN=swarm-ca, valid from the minute-rounded "
      "issue time minus 5 minutes for 630,720,000 s, KeyUsage certSign+cRLSign and "
      "BasicConstraints CA (both critical), SKI, no AKI, a 20-byte serial. The issue time is now, "
      "or --at. The key is written 0600 (EC PRIVATE KEY, or PKCS#8 for RSA).",
      "  swarmpki ca init --out ./old-root\n"
      "  swarmpki ca init --out ./operator-root --key-type rsa-3072 --cn 'Example Swarm Root'\n"
      "  swarmpki ca init --out ./lab-root --at 2026-01-01T00:00:00Z --format json",
      "  0  written    3  could not write (file exists, bad directory)    64  usage error"},
     init_options,
     nullptr,
     run_init},
    {"issue",
     "issue a node certificate and write a node directory",
     {"swarmpki ca issue --ca DIR --role manager|worker [--node-id ID] [--cluster-id ID] "
      "[--cert-expiry D] [--at T] --out DIR",
      "Issues a node certificate with the engine's profile, as of now or --at (NotBefore is the "
      "issue time minus the engine's 1 h backdate), and writes a node directory as on a real "
      "node: swarm-root-ca.crt (the CA's root file, byte for byte), swarm-node.crt (leaf, plus "
      "the cross-signed intermediate when the CA directory holds one) and swarm-node.key "
      "(PKCS#8, `kek-version: 0`), modes 0644/0644/0600.",
      "  swarmpki ca init --out ./root\n"
      "  swarmpki ca issue --ca ./root --role manager --out ./node1\n"
      "  swarmpki ca issue --ca ./root --role worker --node-id w1 --cluster-id c1 "
      "--cert-expiry 1h --out ./w1\n"
      "  swarmpki ca issue --ca ./root --role worker --at 2026-01-01T00:00:00Z --out ./w2",
      "  0  written    3  could not issue (bad CA directory, expiry under 1h, file exists)\n"
      "  64  usage error"},
     issue_options,
     nullptr,
     run_issue},
    {"cross-sign",
     "cross-sign a new root with the old root's key",
     {"swarmpki ca cross-sign --old DIR --new DIR --out FILE [--at T] [--force]",
      "Cross-signs the new root with the old root's key as the engine does at rotation, as of "
      "now or --at: the new root's subject, serial, validity, extensions and key, issued by the "
      "old root (no AKI when the names are equal). Put the result into a copy of the old CA "
      "directory as swarm-cross-signed-ca.crt, with the new root's key, to issue mid-rotation "
      "node certificates.",
      "  swarmpki ca init --out ./old-root\n"
      "  swarmpki ca init --out ./new-root\n"
      "  swarmpki ca cross-sign --old ./old-root --new ./new-root --out ./cross.crt",
      "  0  written    3  could not cross-sign (bad directories, new root not a CA, file "
      "exists)\n"
      "  64  usage error"},
     cross_sign_options,
     nullptr,
     run_cross_sign},
};

constexpr CommandGroup kCa{
    "ca",
    "A certificate authority with the engine's own profile, for labs, tests and rehearsals: "
    "roots, node directories laid out as on a real node, and the cross-signed intermediate of "
    "a rotation. Files are written atomically, keys 0600, never over an existing file without "
    "--force. --at is the issue time.",
    kSubcommands,
    "  swarmpki ca init --out ./old-root\n"
    "  swarmpki ca issue --ca ./old-root --role manager --out ./manager1\n"
    "  swarmpki ca init --out ./new-root --key-type ecdsa-p384\n"
    "  swarmpki ca cross-sign --old ./old-root --new ./new-root --out ./cross.crt",
    "  0  written    3  could not read or write (bad directory, file exists)    64  usage error"};

}  // namespace

ExitCode run_ca(const Args& args) { return run_group(kCa, args); }

}  // namespace swarmpki::cli
