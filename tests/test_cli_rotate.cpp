// swarmpki rotate simulate through the built binary: exit codes, the JSON contract, the engine's
// refusals of operator roots made here with OpenSSL, and --out directories that inspect reads.
#include "support.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/join_token.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

const std::string kAt = "2026-11-28T22:54:07Z";

void openssl(const std::string& args) {
    std::string command = "openssl " + args + " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
}

// Runs a simulation with the operator root cert/key and expects the engine's refusal.
void expect_refusal(const TempDir& tmp, const std::string& cert, const std::string& key,
                    const std::string& message, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"rotate",     "simulate",
                                  "--managers", "1",
                                  "--workers",  "2",
                                  "--ca-cert",  (tmp / cert).string(),
                                  "--ca-key",   (tmp / key).string(),
                                  "--format",   "json",
                                  "--at",       kAt};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_swarmpki(args);
    INFO(cert << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(message) != std::string::npos);
    auto doc = r.json();
    CHECK(doc["status"] == "refused");
    CHECK(doc["refusal"]["message"].get<std::string>().rfind(message, 0) == 0);
}

}  // namespace

TEST_CASE("rotate simulate: the JSON contract and exit 0 when everyone is online",
          "[cli][rotation]") {
    auto r = run_swarmpki({"rotate", "simulate", "--managers", "3", "--workers", "12", "--seed",
                           "5", "--format", "json", "--at", kAt});
    REQUIRE(r.exit_code == 0);
    auto doc = r.json();
    CHECK(doc["schema"] == "swarmpki.rotation/v1");
    CHECK(doc["nodes"] == nlohmann::json({{"managers", 3}, {"workers", 12}, {"offline", 0}}));
    for (const char* member :
         {"phases", "converged", "blocked_by", "stranded", "old_token_accepted_after", "crypto",
          "seconds", "engine_seconds", "status"})
        CHECK(doc.contains(member));
    for (const auto& p : doc["phases"])
        for (const char* member :
             {"name", "seconds", "engine_seconds", "verifications", "failures"})
            CHECK(p.contains(member));
    CHECK(doc["converged"] == true);
    CHECK(doc["old_token_accepted_after"] == false);
    CHECK(doc["status"] == "ok");
    // Two roots, 15 renewals, and the starting leaves of the manager and worker that present
    // one in the initial-cluster class check: nothing else observes a pre-rotation leaf.
    CHECK(doc["crypto"]["keygen"] == 2 + 15 + 2);
    CHECK(r.out.find("SWMTKN") == std::string::npos);  // no token secrets in the report

    auto again = run_swarmpki({"rotate", "simulate", "--managers", "3", "--workers", "12", "--seed",
                               "5", "--format", "json", "--at", kAt});
    CHECK(again.json()["cluster_id"] == doc["cluster_id"]);
    CHECK(again.json()["engine_seconds"] == doc["engine_seconds"]);
}

TEST_CASE("rotate simulate: blocked (exit 2) and stranded (exit 1)", "[cli][rotation]") {
    // Seeded: the down nodes are drawn from managers too, and unseeded one run in 66 would take
    // both other managers down (no leader, nothing starts).
    auto blocked = run_swarmpki({"rotate", "simulate", "--managers", "3", "--workers", "10",
                                 "--offline", "2", "--seed", "2", "--format", "json"});
    CHECK(blocked.exit_code == 2);
    CHECK(blocked.json()["converged"] == false);
    CHECK(blocked.json()["blocked_by"].size() == 2);
    CHECK(blocked.json()["old_token_accepted_after"] == true);

    auto text = run_swarmpki({"rotate", "simulate", "--managers", "3", "--workers", "10",
                              "--offline", "2", "--remove-offline", "--seed", "2"});
    CHECK(text.exit_code == 1);
    CHECK(text.out.find("stranded") != std::string::npos);
    CHECK(text.out.find("status: warning") != std::string::npos);
}

TEST_CASE("rotate simulate: usage errors", "[cli][rotation]") {
    auto only_cert = run_swarmpki({"rotate", "simulate", "--ca-cert", "x.crt"});
    CHECK(only_cert.exit_code == 64);
    CHECK(only_cert.err ==
          "swarmpki rotate simulate: --ca-cert needs --ca-key: the simulated engine signs with "
          "the new root's key (see swarmpki rotate simulate --help)\n");
    CHECK(run_swarmpki({"rotate", "simulate", "--managers", "-1"}).exit_code == 64);
    auto expiry = run_swarmpki({"rotate", "simulate", "--cert-expiry", "30m"});
    CHECK(expiry.exit_code == 3);
    CHECK(expiry.err.find("minimum certificate expiry time is: 1h0m0s") != std::string::npos);
    CHECK(run_swarmpki({"rotate", "simulate", "--managers", "1", "--offline", "1"}).exit_code == 3);
}

TEST_CASE("rotate simulate: each refusal of an operator root, with the engine's message",
          "[cli][rotation]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "current").string(), "-q"}).exit_code == 0);
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "other").string(), "-q"}).exit_code == 0);
    std::string current_key = (tmp / "current" / "swarm-root-ca.key").string();
    std::string other_key = (tmp / "other" / "swarm-root-ca.key").string();
    auto dir = [&](const std::string& name) { return (tmp / name).string(); };
    std::string ca_ext =
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign";

    // Expires within a year.
    openssl("req -x509 -new -key " + other_key + " -subj /CN=swarm-ca -days 200 " + ca_ext +
            " -out " + dir("short.crt"));
    fs::copy_file(other_key, tmp / "other.key");
    expect_refusal(tmp, "short.crt", "other.key", "CA certificate expires too soon");
    // Key does not match.
    fs::copy_file(tmp / "current" / "swarm-root-ca.key", tmp / "current.key");
    fs::copy_file(tmp / "other" / "swarm-root-ca.crt", tmp / "other.crt");
    expect_refusal(tmp, "other.crt", "current.key", "certificate key mismatch");
    // Same key and subject as the current root: refused before a 20.10 engine wedges on it.
    openssl("req -x509 -new -key " + current_key + " -subj /CN=swarm-ca -days 3650 " + ca_ext +
            " -out " + dir("same.crt"));
    expect_refusal(tmp, "same.crt", "current.key", "Cannot update to a cert with an identical key",
                   {"--current-ca", dir("current")});
    auto wedge = run_swarmpki({"rotate", "simulate", "--managers", "1", "--ca-cert",
                               dir("same.crt"), "--ca-key", dir("current.key"), "--current-ca",
                               dir("current"), "--format", "json"});
    CHECK(wedge.json()["refusal"]["hazard"].get<std::string>().find("20.10") != std::string::npos);
    // Not a CA.
    openssl("req -x509 -new -key " + other_key +
            " -subj /CN=leaf -days 3650 -addext basicConstraints=critical,CA:FALSE -out " +
            dir("leaf.crt"));
    expect_refusal(tmp, "leaf.crt", "other.key",
                   "unable to generate a cross-signed certificate for root rotation");
    // Two certificates.
    write_text(tmp / "two.crt",
               read_text(tmp / "other.crt") + read_text(tmp / "current" / "swarm-root-ca.crt"));
    expect_refusal(tmp, "two.crt", "other.key",
                   "the desired CA certificate cannot contain multiple certificates");
    // RSA-1024.
    openssl("req -x509 -newkey rsa:1024 -nodes -keyout " + dir("rsa1024.key") +
            " -subj /CN=weak -days 3650 " + ca_ext + " -out " + dir("rsa1024.crt"));
    expect_refusal(tmp, "rsa1024.crt", "rsa1024.key", "unsupported RSA key parameters");
    // P-224.
    openssl("ecparam -name secp224r1 -genkey -noout -out " + dir("p224.key"));
    openssl("req -x509 -new -key " + dir("p224.key") + " -subj /CN=p224 -days 3650 " + ca_ext +
            " -out " + dir("p224.crt"));
    expect_refusal(tmp, "p224.crt", "p224.key", "unsupported ECDSA key parameters");
    // SHA-1 signature.
    openssl("req -x509 -new -sha1 -key " + other_key + " -subj /CN=sha1 -days 3650 " + ca_ext +
            " -out " + dir("sha1.crt"));
    expect_refusal(tmp, "sha1.crt", "other.key", "unsupported signature algorithm: ECDSA-SHA1");
    // Encrypted key.
    openssl("pkey -in " + other_key + " -aes256 -passout pass:secret -out " + dir("encrypted.key"));
    expect_refusal(tmp, "other.crt", "encrypted.key", "malformed private key");
}

TEST_CASE("rotate simulate --out: every node directory inspects as a completed rotation",
          "[cli][rotation]") {
    TempDir tmp;
    fs::path out = tmp / "cluster";
    auto r = run_swarmpki({"rotate", "simulate", "--managers", "2", "--workers", "4", "--offline",
                           "1", "--remove-offline", "--seed", "9", "--out", out.string(),
                           "--format", "json"});
    REQUIRE(r.exit_code == 1);
    CHECK(format_mode(file_facts((out / "join-tokens").string()).mode) == "0600");
    CHECK(format_mode(file_facts((out / "new-root" / "swarm-root-ca.key").string()).mode) ==
          "0600");
    std::string new_root = read_text(out / "new-root" / "swarm-root-ca.crt");
    std::string tokens = read_text(out / "join-tokens");
    auto worker_token = parse_join_token(tokens.substr(7, tokens.find('\n') - 7));
    REQUIRE(worker_token.token);
    CHECK(token_pins_root(*worker_token.token, new_root));

    std::size_t nodes = 0;
    for (const auto& entry : fs::directory_iterator(out / "nodes")) {
        ++nodes;
        auto inspect = run_swarmpki(
            {"inspect", "--dir", entry.path().string(), "--format", "json"});
        INFO(entry.path() << ": " << inspect.err);
        REQUIRE(inspect.exit_code == 0);
        auto node = inspect.json()["nodes"][0];
        CHECK(node["chain_verified"] == true);
        CHECK(node["rotation"]["state"] == "completed");
        CHECK(node["key"]["matches_certificate"] == true);
        CHECK(read_text(entry.path() / "swarm-root-ca.crt") == new_root);
    }
    CHECK(nodes == 5);
    std::size_t stranded = 0;
    for (const auto& entry : fs::directory_iterator(out / "stranded")) {
        ++stranded;
        auto node = run_swarmpki({"inspect", "--dir", entry.path().string(), "--format", "json"})
                        .json()["nodes"][0];
        CHECK(node["chain_verified"] == true);  // against the old root it still holds
        CHECK(node["rotation"]["state"] == "none");
        CHECK(read_text(entry.path() / "swarm-root-ca.crt") ==
              read_text(out / "old-root" / "swarm-root-ca.crt"));
    }
    CHECK(stranded == 1);
    // A second run refuses to write into the same directory.
    auto again = run_swarmpki({"rotate", "simulate", "--managers", "1", "--out", out.string()});
    CHECK(again.exit_code == 3);
    CHECK(again.err.find("not empty") != std::string::npos);
}

TEST_CASE("rotate simulate to an RSA operator root: ECDSA leaves signed with RSA",
          "[cli][rotation]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "rsa").string(), "--key-type", "rsa-2048",
                          "--cn", "Operator Root", "-q"})
                .exit_code == 0);
    fs::path out = tmp / "cluster";
    auto r = run_swarmpki({"rotate", "simulate", "--managers", "1", "--workers", "3", "--ca-cert",
                           (tmp / "rsa" / "swarm-root-ca.crt").string(), "--ca-key",
                           (tmp / "rsa" / "swarm-root-ca.key").string(), "--out", out.string(),
                           "-q"});
    REQUIRE(r.exit_code == 0);
    CHECK(read_text(out / "new-root" / "swarm-root-ca.crt") ==
          read_text(tmp / "rsa" / "swarm-root-ca.crt"));
    for (const auto& entry : fs::directory_iterator(out / "nodes")) {
        auto chain = load_certificate_file((entry.path() / "swarm-node.crt").string());
        REQUIRE(chain.size() == 2);
        CHECK(chain[0].key_type() == "ecdsa-p256");
        CHECK(chain[0].signature_algorithm() == "sha256WithRSAEncryption");
        CHECK(chain[0].issuer() == "CN=Operator Root");
        CHECK(chain[1].issuer() == "CN=swarm-ca");  // cross-signed by the engine's old root
        CHECK(chain[1].signature_algorithm() == "ecdsa-with-SHA256");
        auto node = run_swarmpki({"inspect", "--dir", entry.path().string(), "--format", "json"})
                        .json()["nodes"][0];
        CHECK(node["chain_verified"] == true);
        CHECK(node["rotation"]["state"] == "completed");
    }
}

namespace {

// The report without what differs between runs of one seed: real time and the roots (random keys).
nlohmann::json reproducible_part(nlohmann::json doc) {
    doc.erase("seconds");
    doc.erase("roots");
    doc.erase("threads");
    for (auto& p : doc["phases"]) p.erase("seconds");
    return doc;
}

// A node directory's leaf was really signed by the old root: verified against it, inspected as a
// node that never rotated.
void expect_old_root_leaf(const fs::path& node_dir, const fs::path& old_root_file) {
    INFO(node_dir);
    auto chain = load_certificate_file((node_dir / "swarm-node.crt").string());
    REQUIRE(chain.size() == 1);
    Certificate old_root = load_certificate_file(old_root_file.string()).at(0);
    CHECK(chain[0].signature_verified_by(old_root));
    CHECK(chain[0].issued_by_name(old_root));
    auto node = run_swarmpki(
                    {"inspect", "--dir", node_dir.string(), "--format", "json", "--at", kAt})
                    .json()["nodes"][0];
    CHECK(node["chain_verified"] == true);
    CHECK(node["rotation"]["state"] == "none");
    CHECK(node["key"]["matches_certificate"] == true);
    CHECK(node["node"]["issuer_public_key_sha256"] == old_root.public_key_sha256());
    CHECK(read_text(node_dir / "swarm-root-ca.crt") == read_text(old_root_file));
}

}  // namespace

TEST_CASE("rotate simulate --out: down nodes that never renew hold their real old-root leaf",
          "[cli][rotation]") {
    // One manager, five workers, three of them down. The class checks pick one down worker to
    // present its old leaf; the other two are built only because --out writes them.
    TempDir tmp;
    std::vector<std::string> shape{"rotate",   "simulate",  "--managers", "1",      "--workers",
                                   "5",        "--offline", "3",          "--seed", "11",
                                   "--format", "json",      "--at",       kAt};
    auto without_out = run_swarmpki(shape);
    REQUIRE(without_out.exit_code == 2);
    CHECK(without_out.json()["crypto"]["keygen"] ==
          2 + 3 + 2 + 1);  // roots, renewals, old-leaf pair, one down

    SECTION("blocked: the down nodes stay in nodes/ with the old root") {
        std::vector<std::string> args = shape;
        args.insert(args.end(), {"--out", (tmp / "blocked").string()});
        auto r = run_swarmpki(args);
        REQUIRE(r.exit_code == 2);
        auto doc = r.json();
        CHECK(doc["crypto"]["keygen"] ==
              2 + 3 + 2 + 3);  // every down node written with its own key
        CHECK(doc["crypto"]["sign"] == 2 + 3 + 2 + 3 + 1);
        REQUIRE(doc["blocked_by"].size() == 3);
        for (const auto& blocked : doc["blocked_by"])
            expect_old_root_leaf(tmp / "blocked" / "nodes" / blocked.get<std::string>(),
                                 tmp / "blocked" / "old-root" / "swarm-root-ca.crt");
        CHECK(reproducible_part(doc)["phases"] == reproducible_part(without_out.json())["phases"]);
    }
    SECTION("removed: the stranded nodes' directories") {
        std::vector<std::string> args = shape;
        args.insert(args.end(), {"--remove-offline", "--out", (tmp / "removed").string()});
        auto r = run_swarmpki(args);
        REQUIRE(r.exit_code == 1);
        auto doc = r.json();
        REQUIRE(doc["stranded"].size() == 3);
        for (const auto& s : doc["stranded"]) {
            CHECK(s["reason"].get<std::string>().find("unknown-authority") != std::string::npos);
            expect_old_root_leaf(tmp / "removed" / "stranded" / s["node"].get<std::string>(),
                                 tmp / "removed" / "old-root" / "swarm-root-ca.crt");
        }
    }
}

TEST_CASE("rotate simulate --seed: the same report whatever the threads and whatever is built when",
          "[cli][rotation]") {
    // Starting leaves are built on demand, on whichever thread asks first; nothing in the report
    // may depend on that. Down nodes, removal and more than one batch exercise every observer.
    TempDir tmp;
    std::vector<std::string> shape{"rotate",    "simulate",  "--managers",
                                   "3",         "--workers", "70",
                                   "--offline", "4",         "--remove-offline",
                                   "--seed",    "23",        "--format",
                                   "json",      "--at",      kAt};
    auto run = [&](const std::string& threads, const std::string& out) {
        std::vector<std::string> args = shape;
        args.insert(args.end(), {"--threads", threads});
        if (!out.empty()) args.insert(args.end(), {"--out", (tmp / out).string()});
        auto r = run_swarmpki(args);
        REQUIRE(r.exit_code == 1);
        return r.json();
    };
    nlohmann::json one = run("1", "");
    nlohmann::json two = run("2", "");
    CHECK(reproducible_part(one) == reproducible_part(two));
    CHECK(one["roots"]["new"] != two["roots"]["new"]);  // keys stay random
    // With --out the same report, except for the starting leaves it writes (and the directory).
    nlohmann::json written = run("2", "a");
    CHECK(written["stranded"] == one["stranded"]);
    CHECK(written["phases"].size() == one["phases"].size());
    nlohmann::json a = reproducible_part(written), b = reproducible_part(run("1", "b"));
    a.erase("out");
    b.erase("out");
    CHECK(a == b);
}
