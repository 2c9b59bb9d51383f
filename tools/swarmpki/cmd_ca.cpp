// swarmpki ca init | issue | cross-sign: the engine's CA profile from the command line.
#include "commands.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/json_writer.hpp"

#include <filesystem>
#include <iostream>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json";

void describe(JsonWriter& json, const Certificate& c) {
    json.begin_object()
        .member("subject", c.subject())
        .member("issuer", c.issuer())
        .member("serial", c.serial_hex())
        .member("not_before", format_rfc3339(c.not_before()))
        .member("not_after", format_rfc3339(c.not_after()))
        .member("public_key_sha256", c.public_key_sha256())
        .member("key_type", c.key_type())
        .member("signature_algorithm", c.signature_algorithm())
        .end_object();
}

// One small document per action: what was written and the certificate made. No key material.
void report(const CommonOptions& common, const char* action, const Certificate& certificate,
            const std::vector<std::string>& files) {
    if (common.quiet) return;
    if (common.format == "json") {
        JsonWriter json;
        json.begin_object().member("schema", "swarmpki.ca/v1").member("action", action);
        json.key("certificate");
        describe(json, certificate);
        json.member("files", files).end_object();
        write_stdout(json.take() + "\n");
        return;
    }
    std::string text = std::string(action) + ": " + certificate.subject() + " (issuer " +
                       certificate.issuer() + ", serial " + certificate.serial_hex() + ")\n" +
                       "  valid " + format_rfc3339(certificate.not_before()) + " to " +
                       format_rfc3339(certificate.not_after()) + "\n  key " +
                       certificate.key_type() + ", sha256 " + certificate.public_key_sha256() +
                       "\n";
    for (const std::string& f : files) text += "  wrote " + f + "\n";
    write_stdout(text);
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

ExitCode run_init(const Args& args) {
    po::options_description options("ca init options");
    options.add_options()("out", po::value<std::string>(),
                          "directory to write swarm-root-ca.crt and swarm-root-ca.key into")(
        "key-type", po::value<std::string>()->default_value("ecdsa-p256"),
        "ecdsa-p256 (the engine's) | ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096")(
        "cn", po::value<std::string>()->default_value(kDefaultRootCommonName),
        "the root's common name")("force", "replace existing files");
    add_common_options(options, kFormats);
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(
            {"swarmpki ca init --out DIR [--key-type T] [--cn NAME] [--force]",
             "Creates a root CA with the engine's profile: CN=swarm-ca, valid from the "
             "minute-rounded time minus 5 minutes\nfor 630,720,000 s, KeyUsage certSign+cRLSign "
             "and BasicConstraints CA (both critical), SKI, no AKI,\na 20-byte serial. The key "
             "is written 0600 (EC PRIVATE KEY, or PKCS#8 for RSA).",
             "  swarmpki ca init --out ./old-root\n"
             "  swarmpki ca init --out ./operator-root --key-type rsa-3072 --cn 'Example Swarm "
             "Root'",
             "  0  written    3  could not write (file exists, bad directory)    64  usage error"},
            options);
        return ExitCode::ok;
    }
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

ExitCode run_issue(const Args& args) {
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
    add_common_options(options, kFormats);
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(
            {"swarmpki ca issue --ca DIR --role manager|worker [--node-id ID] [--cluster-id ID] "
             "[--cert-expiry D] --out DIR",
             "Issues a node certificate with the engine's profile and writes a node directory "
             "as on a real node:\nswarm-root-ca.crt (the CA's root file, byte for byte), "
             "swarm-node.crt (leaf, plus the cross-signed\nintermediate when the CA directory "
             "holds one) and swarm-node.key (PKCS#8, `kek-version: 0`), modes\n0644/0644/0600.",
             "  swarmpki ca issue --ca ./root --role manager --out ./node1\n"
             "  swarmpki ca issue --ca ./root --role worker --node-id w1 --cluster-id c1 "
             "--cert-expiry 1h --out ./w1",
             "  0  written    3  could not issue (bad CA directory, expiry under 1h, file exists)  "
             "  64  usage error"},
            options);
        return ExitCode::ok;
    }
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

ExitCode run_cross_sign(const Args& args) {
    po::options_description options("ca cross-sign options");
    options.add_options()("old", po::value<std::string>(),
                          "CA directory of the current root (its key signs)")(
        "new", po::value<std::string>(), "CA directory of the root being rotated to")(
        "out", po::value<std::string>(),
        "file to write the cross-signed certificate to")("force", "replace an existing file");
    add_common_options(options, kFormats);
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(
            {"swarmpki ca cross-sign --old DIR --new DIR --out FILE",
             "Cross-signs the new root with the old root's key as the engine does at "
             "rotation: the new root's subject,\nserial, validity, extensions and key, issued "
             "by the old root (no AKI when the names are equal).\nPut the result into a copy "
             "of the old CA directory as swarm-cross-signed-ca.crt, with the new root's key,\n"
             "to issue mid-rotation node certificates.",
             "  swarmpki ca cross-sign --old ./old-root --new ./new-root --out ./cross.crt",
             "  0  written    3  could not cross-sign (bad directories, new root not a CA, file "
             "exists)    64  usage error"},
            options);
        return ExitCode::ok;
    }
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

}  // namespace

ExitCode run_ca(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << "usage: swarmpki ca init|issue|cross-sign [options]\n\n"
                     "  init        create a root CA with the engine's profile\n"
                     "  issue       issue a node certificate and write a node directory\n"
                     "  cross-sign  cross-sign a new root with the old root's key\n\n"
                     "Run 'swarmpki ca <action> --help' for options.\n";
        return args.empty() ? ExitCode::usage : ExitCode::ok;
    }
    Args rest(args.begin() + 1, args.end());
    if (args[0] == "init") return run_init(rest);
    if (args[0] == "issue") return run_issue(rest);
    if (args[0] == "cross-sign") return run_cross_sign(rest);
    throw UsageError("unknown action '" + args[0] + "' (init, issue or cross-sign)");
}

}  // namespace swarmpki::cli
