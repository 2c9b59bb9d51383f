// read_node_directory: the three engine files read and parsed once, file facts, leftovers of an
// interrupted write, a legacy root key, symlinks; failures kept as one-line errors, never thrown.
#include "support.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/node_directory.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

const Instant kNow = *parse_rfc3339("2026-11-28T22:54:07Z");

// A worker directory made by the CA engine: root, leaf, PKCS#8 key with `kek-version: 0`.
fs::path make_worker_dir(const TempDir& tmp, const std::string& name = "node") {
    RootCa root = create_root({}, kNow);
    PrivateKey key = KeyGenerator().generate();
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    Certificate leaf = issuer.issue({new_engine_id(), NodeRole::worker, new_engine_id()},
                                    key.get0(), kNow);
    fs::path dir = tmp / name;
    fs::create_directories(dir.parent_path());
    write_node_directory(dir.string(),
                         {root.certificate.to_pem(), leaf.to_pem(), encode_node_key(key)},
                         Overwrite::no);
    return dir;
}

}  // namespace

TEST_CASE("read_node_directory reads the three files of an engine-made directory",
          "[node-directory]") {
    TempDir tmp;
    fs::path dir = make_worker_dir(tmp);
    CertificatesDirectory node = read_node_directory(dir.string());
    REQUIRE_FALSE(node.error);
    REQUIRE(node.root_file);
    REQUIRE(node.cert_file);
    REQUIRE(node.key_file);
    CHECK(node.root_file->certificates.size() == 1);
    CHECK(node.root_file->bytes == read_text(dir / "swarm-root-ca.crt"));
    CHECK(node.cert_file->certificates.size() == 1);
    CHECK(node.key_file->facts.header_names == std::vector<std::string>{"kek-version"});
    CHECK(node.key_file->facts.kek_version == std::optional<std::string>("0"));
    CHECK_FALSE(node.key_file->facts.encrypted);
    CHECK(node.key_file->entry.facts.mode == 0600);
    CHECK(node.entries.size() == 3);
    CHECK(node.leftovers.empty());
    CHECK_FALSE(node.legacy_root_key);
    for (const DirectoryEntry& e : node.entries) CHECK_FALSE(e.outside_directory);
}

TEST_CASE("read_node_directory: a missing or non-directory path is an error, not a throw",
          "[node-directory]") {
    TempDir tmp;
    CertificatesDirectory missing = read_node_directory((tmp / "nope").string());
    REQUIRE(missing.error);
    CHECK(missing.error->reason() == ReadFailure::not_found);
    CHECK(std::string(missing.error->what()) ==
          (tmp / "nope").string() +
              ": no such file or directory (give a node's certificates directory with --dir DIR; "
              "the engine's is /var/lib/docker/swarm/certificates)");

    write_text(tmp / "file", "x");
    CertificatesDirectory file = read_node_directory((tmp / "file").string());
    REQUIRE(file.error);
    CHECK(file.error->reason() == ReadFailure::not_a_file);
}

TEST_CASE("read_node_directory: an absent key is not an error; a bad one is", "[node-directory]") {
    TempDir tmp;
    fs::path dir = make_worker_dir(tmp);
    fs::remove(dir / "swarm-node.key");
    CertificatesDirectory node = read_node_directory(dir.string());
    CHECK_FALSE(node.error);
    CHECK_FALSE(node.key_file);

    write_text(dir / "swarm-node.key", read_text(dir / "swarm-node.crt"));
    node = read_node_directory(dir.string());
    REQUIRE(node.error);
    CHECK(node.error->subject() == (dir / "swarm-node.key").string());
    CHECK(node.error->problem() == "no private key block (found CERTIFICATE)");
    CHECK(node.root_file);  // the rest is still read
    CHECK(node.cert_file);
}

TEST_CASE("read_node_directory keeps every error, in read order, and reads the rest",
          "[node-directory]") {
    TempDir tmp;
    fs::path dir = make_worker_dir(tmp);
    fs::remove(dir / "swarm-root-ca.crt");
    fs::remove(dir / "swarm-node.crt");
    fs::create_directory(dir / "swarm-node.crt");
    write_text(dir / "swarm-node.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
    CertificatesDirectory node = read_node_directory(dir.string());
    REQUIRE(node.errors.size() == 3);
    CHECK(node.errors[0].subject() == (dir / "swarm-root-ca.crt").string());
    CHECK(node.errors[0].reason() == ReadFailure::not_found);
    CHECK(node.errors[1].subject() == (dir / "swarm-node.crt").string());
    CHECK(node.errors[1].reason() == ReadFailure::not_a_file);
    CHECK(node.errors[2].subject().rfind((dir / "swarm-node.key").string(), 0) == 0);
    CHECK(node.errors[2].reason() == ReadFailure::bad_pem);
    REQUIRE(node.error);
    CHECK(std::string(node.error->what()) == node.errors[0].what());
    CHECK_FALSE(node.cert_file);
    CHECK_FALSE(node.key_file);
}

TEST_CASE("read_node_directory: a CA directory expects no node certificate", "[node-directory]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    write_ca_directory((tmp / "ca").string(), root, Overwrite::no);
    CertificatesDirectory ca = read_node_directory((tmp / "ca").string());
    CHECK(ca.kind == DirectoryKind::ca);
    CHECK(ca.errors.empty());
    CHECK_FALSE(ca.error);
    CHECK(ca.root_file);
    REQUIRE(ca.legacy_root_key);
    CHECK(ca.legacy_root_key->problem.empty());

    // A node that lost its certificate but has no root key is a node missing a file.
    fs::path node = make_worker_dir(tmp);
    fs::remove(node / "swarm-node.crt");
    CertificatesDirectory broken = read_node_directory(node.string());
    CHECK(broken.kind == DirectoryKind::node);
    REQUIRE(broken.errors.size() == 1);
    CHECK(broken.errors[0].subject() == (node / "swarm-node.crt").string());
}

TEST_CASE("no_such_directory names --dir, and says what the engine's default missing means",
          "[node-directory]") {
    CHECK(std::string(no_such_directory("/var/lib/docker/swarm/certificates").what()) ==
          "/var/lib/docker/swarm/certificates: no such file or directory (this machine is not a "
          "swarm node, or its engine keeps its data elsewhere: give the certificates directory "
          "with --dir DIR)");
    CHECK(std::string(no_such_directory("/srv/n1").what()) ==
          "/srv/n1: no such file or directory (give a node's certificates directory with --dir "
          "DIR; the engine's is /var/lib/docker/swarm/certificates)");
    CHECK(no_such_directory("/srv/n1").reason() == ReadFailure::not_found);
}

TEST_CASE("expand_node_directories: a tree becomes its node and CA directories, as expiry walks it",
          "[node-directory]") {
    TempDir tmp;
    fs::path a = make_worker_dir(tmp, "tree/host-a/certificates");
    fs::path b = make_worker_dir(tmp, "tree/host-b/certificates");
    RootCa tree_ca = create_root({}, kNow);
    write_ca_directory((tmp / "tree/ca").string(), tree_ca, Overwrite::no);
    fs::create_directories(tmp / "tree/empty/sub");
    fs::create_directories(tmp / "nothing/sub");
    fs::path lone = make_worker_dir(tmp, "lone");
    fs::remove(lone / "swarm-root-ca.crt");  // still a node directory: the reader says what lacks

    std::vector<std::string> paths{(tmp / "tree").string(), lone.string(),
                                   (tmp / "missing").string(), (tmp / "nothing").string(),
                                   a.string()};
    std::vector<std::string> expected{(tmp / "tree/ca").string(),  // sorted by path, as plan_scan
                                      a.string(),
                                      b.string(),
                                      lone.string(),
                                      (tmp / "missing").string(),
                                      (tmp / "nothing").string()};
    CHECK(expand_node_directories(paths) == expected);
}

TEST_CASE("read_node_directory lists leftovers of interrupted writes and a legacy root key",
          "[node-directory]") {
    TempDir tmp;
    fs::path dir = make_worker_dir(tmp);
    fs::copy_file(dir / "swarm-node.crt", dir / ".swarm-node.crt");
    write_text(dir / ".tmp-swarm-node.key123", "");
    write_text(dir / "unrelated.txt", "");
    RootCa other = create_root({}, kNow);
    write_text(dir / "swarm-root-ca.key", encode_sec1_pem(other.key));
    CertificatesDirectory node = read_node_directory(dir.string());
    CHECK_FALSE(node.error);
    REQUIRE(node.leftovers.size() == 2);
    CHECK(node.leftovers[0].name == ".swarm-node.crt");
    CHECK(node.leftovers[1].name == ".tmp-swarm-node.key123");
    REQUIRE(node.legacy_root_key);
    CHECK(node.legacy_root_key->problem.empty());
    REQUIRE(node.legacy_root_key->facts);
    CHECK(node.legacy_root_key->facts->pem_type == "EC PRIVATE KEY");
    CHECK(node.legacy_root_key->key);
}

TEST_CASE("read_node_directory reports symlinks, and which lead outside the directory",
          "[node-directory]") {
    TempDir tmp;
    fs::path dir = make_worker_dir(tmp);
    fs::create_directory(tmp / "elsewhere");
    fs::rename(dir / "swarm-root-ca.crt", tmp / "elsewhere" / "root.crt");
    fs::create_symlink(tmp / "elsewhere" / "root.crt", dir / "swarm-root-ca.crt");
    fs::rename(dir / "swarm-node.crt", dir / "real-node.crt");
    fs::create_symlink("real-node.crt", dir / "swarm-node.crt");
    CertificatesDirectory node = read_node_directory(dir.string());
    CHECK_FALSE(node.error);
    REQUIRE(node.root_file);
    CHECK(node.root_file->entry.facts.is_symlink);
    CHECK(node.root_file->entry.outside_directory);
    REQUIRE(node.cert_file);
    CHECK(node.cert_file->entry.facts.is_symlink);
    CHECK_FALSE(node.cert_file->entry.outside_directory);

    fs::remove(tmp / "elsewhere" / "root.crt");
    node = read_node_directory(dir.string());
    REQUIRE(node.error);
    CHECK(node.error->reason() == ReadFailure::broken_symlink);
    CHECK(std::string(node.error->what()) ==
          (dir / "swarm-root-ca.crt").string() +
              ": dangling symlink (restore the file it points to)");
}

TEST_CASE("KeyBlock wipes the key's DER and header values when moved from", "[node-directory]") {
    PemBlock block;
    block.type = "PRIVATE KEY";
    block.der = {1, 2, 3};
    block.headers = {{"raft-dek", "secret"}};
    KeyBlock first(std::move(block));
    CHECK(first.block().der.size() == 3);
    KeyBlock second(std::move(first));
    CHECK(first.block().der.empty());      // NOLINT(bugprone-use-after-move): that is the test
    CHECK(first.block().headers.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(second.block().headers.at(0).value == "secret");
}

TEST_CASE("read_node_directory on every fixture node directory", "[node-directory][conformance]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) return note_fixtures_missing();
    TempDir tmp;
    auto index = load_json(*fixtures / "index.json");
    for (const auto& scenario : index["scenarios"]) {
        for (const auto& [name, expected] : scenario["nodes"].items()) {
            std::string label = scenario["scenario"].get<std::string>() + "/" + name;
            INFO(label);
            fs::path dir = copy_node_dir(scenario["scenario"], name, tmp.path());
            CertificatesDirectory node = read_node_directory(dir.string());
            REQUIRE_FALSE(node.error);
            CHECK(node.cert_file->certificates.size() ==
                  expected["node_cert_count"].get<std::size_t>());
            CHECK(node.root_file->certificates.size() ==
                  expected["root_ca_cert_count"].get<std::size_t>());
            CHECK(node.key_file->facts.pem_type == expected["key_pem_type"].get<std::string>());
            CHECK(node.key_file->facts.encrypted == expected["key_encrypted"].get<bool>());
            CHECK(node.key_file->facts.header_names ==
                  expected["key_pem_headers"].get<std::vector<std::string>>());
            CHECK(node.key_file->entry.facts.mode == 0600);
        }
    }
}
