// swarmpki ca init | issue | cross-sign, through the built binary.
#include "support.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {
const std::string kAt = "2026-11-28T22:54:07Z";

std::string mode_of(const std::filesystem::path& p) {
    return format_mode(file_facts(p.string()).mode);
}
}  // namespace

TEST_CASE("ca init writes the engine's root and refuses to overwrite", "[cli][ca]") {
    TempDir tmp;
    auto r = run_swarmpki(
        {"ca", "init", "--out", (tmp / "root").string(), "--at", kAt, "--format", "json"});
    REQUIRE(r.exit_code == 0);
    auto doc = r.json();
    CHECK(doc["schema"] == "swarmpki.ca/v1");
    CHECK(doc["certificate"]["subject"] == "CN=swarm-ca");
    CHECK(doc["certificate"]["not_before"] == "2026-11-28T22:49:00Z");
    CHECK(doc["certificate"]["not_after"] == "2046-11-23T22:49:00Z");
    CHECK(mode_of(tmp / "root" / "swarm-root-ca.key") == "0600");
    CHECK(mode_of(tmp / "root" / "swarm-root-ca.crt") == "0644");
    CHECK(r.out.find("PRIVATE KEY") == std::string::npos);

    std::string before = read_text(tmp / "root" / "swarm-root-ca.crt");
    auto again = run_swarmpki({"ca", "init", "--out", (tmp / "root").string()});
    CHECK(again.exit_code == 3);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(read_text(tmp / "root" / "swarm-root-ca.crt") == before);
    CHECK(
        run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "--force", "-q"}).exit_code ==
        0);
    CHECK(read_text(tmp / "root" / "swarm-root-ca.crt") != before);

    auto bad = run_swarmpki(
        {"ca", "init", "--out", (tmp / "x").string(), "--key-type", "rsa-1024"});
    CHECK(bad.exit_code == 64);
    CHECK(run_swarmpki({"ca", "init", "--out", (tmp / "rsa").string(), "--key-type", "rsa-2048",
                        "--cn", "Operator Root", "-q"})
              .exit_code == 0);
    CHECK(read_text(tmp / "rsa" / "swarm-root-ca.key").rfind("-----BEGIN PRIVATE KEY-----", 0) ==
          0);
}

TEST_CASE("ca issue writes a node directory as on a real node", "[cli][ca]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "--at", kAt, "-q"})
                .exit_code == 0);
    auto r = run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role", "manager",
                           "--node-id", "2i2jiz7b6wivuwtazt3d7zta8", "--cluster-id",
                           "45dwjg326020dkgqtum4kdw4o", "--out", (tmp / "node").string(), "--at",
                           kAt});
    REQUIRE(r.exit_code == 0);
    CHECK(read_text(tmp / "node" / "swarm-root-ca.crt") ==
          read_text(tmp / "root" / "swarm-root-ca.crt"));
    CHECK(mode_of(tmp / "node" / "swarm-node.key") == "0600");
    CHECK(mode_of(tmp / "node" / "swarm-node.crt") == "0644");
    CHECK(mode_of(tmp / "node" / "swarm-root-ca.crt") == "0644");
    CHECK(read_text(tmp / "node" / "swarm-node.key")
              .rfind("-----BEGIN PRIVATE KEY-----\nkek-version: 0\n\n", 0) == 0);
    auto chain = load_certificate_file((tmp / "node" / "swarm-node.crt").string());
    REQUIRE(chain.size() == 1);
    CHECK(chain[0].subject() ==
          "CN=2i2jiz7b6wivuwtazt3d7zta8,OU=swarm-manager,O=45dwjg326020dkgqtum4kdw4o");
    CHECK(format_rfc3339(chain[0].not_before()) == "2026-11-28T21:54:00Z");
    CHECK(format_rfc3339(chain[0].not_after()) == "2027-02-26T22:54:00Z");

    // Random engine-style IDs by default.
    auto w = run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role", "worker",
                           "--out", (tmp / "w").string(), "--format", "json"});
    REQUIRE(w.exit_code == 0);
    auto leaf = load_certificate_file((tmp / "w" / "swarm-node.crt").string()).at(0);
    CHECK(leaf.common_name().size() == 25);
    CHECK(leaf.organization().size() == 25);
    CHECK(leaf.dns_names() == std::vector<std::string>{"swarm-worker", leaf.common_name()});
}

TEST_CASE("ca issue refuses an expiry under an hour with the engine's message", "[cli][ca]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "-q"}).exit_code == 0);
    auto r = run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role", "worker",
                           "--cert-expiry", "59m", "--out", (tmp / "n").string()});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("minimum certificate expiry time is: 1h0m0s") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(tmp / "n" / "swarm-node.key"));
    auto missing = run_swarmpki({"ca", "issue", "--ca", (tmp / "nowhere").string(), "--role",
                                 "worker", "--out", (tmp / "n2").string()});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err.find("swarm-root-ca.crt") != std::string::npos);
    CHECK(run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role", "boss", "--out",
                        (tmp / "n3").string()})
              .exit_code == 64);
}

TEST_CASE("ca cross-sign, then issue mid-rotation certificates from a rotating CA directory",
          "[cli][ca]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "old").string(), "-q"}).exit_code == 0);
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "new").string(), "-q"}).exit_code == 0);
    auto r = run_swarmpki({"ca", "cross-sign", "--old", (tmp / "old").string(), "--new",
                           (tmp / "new").string(), "--out", (tmp / "cross.crt").string()});
    REQUIRE(r.exit_code == 0);
    auto cross = load_certificate_file((tmp / "cross.crt").string()).at(0);
    auto old_root = load_certificate_file((tmp / "old" / "swarm-root-ca.crt").string()).at(0);
    auto new_root = load_certificate_file((tmp / "new" / "swarm-root-ca.crt").string()).at(0);
    CHECK(cross.signature_verified_by(old_root));
    CHECK(cross.same_public_key(new_root));
    CHECK(cross.serial_hex() == new_root.serial_hex());

    // A rotating CA: the old root as trust root, the new key, the cross-signed certificate.
    std::filesystem::create_directories(tmp / "rotating");
    std::filesystem::copy_file(tmp / "old" / "swarm-root-ca.crt",
                               tmp / "rotating" / "swarm-root-ca.crt");
    std::filesystem::copy_file(tmp / "new" / "swarm-root-ca.key",
                               tmp / "rotating" / "swarm-root-ca.key");
    std::filesystem::copy_file(tmp / "cross.crt", tmp / "rotating" / "swarm-cross-signed-ca.crt");
    REQUIRE(run_swarmpki({"ca", "issue", "--ca", (tmp / "rotating").string(), "--role", "worker",
                          "--out", (tmp / "node").string(), "-q"})
                .exit_code == 0);
    auto chain = load_certificate_file((tmp / "node" / "swarm-node.crt").string());
    REQUIRE(chain.size() == 2);
    CHECK(chain[1].der() == cross.der());
    std::array<Certificate, 1> roots{old_root};
    CHECK(verify_chain(chain[0], std::span(chain).subspan(1), roots, wall_clock_now()).verified);
    // The old root's key with the cross-signed certificate is a mismatch.
    std::filesystem::copy_file(tmp / "old" / "swarm-root-ca.key",
                               tmp / "rotating" / "swarm-root-ca.key",
                               std::filesystem::copy_options::overwrite_existing);
    auto bad = run_swarmpki({"ca", "issue", "--ca", (tmp / "rotating").string(), "--role", "worker",
                             "--out", (tmp / "node2").string()});
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("certificate key mismatch") != std::string::npos);
}

namespace {

std::size_t lines_in(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("ca init into an existing 0700 directory leaves it 0700, with --force too", "[cli][ca]") {
    TempDir tmp;
    std::filesystem::create_directory(tmp / "root");
    REQUIRE(::chmod((tmp / "root").c_str(), 0700) == 0);
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "-q"}).exit_code == 0);
    CHECK(mode_of(tmp / "root") == "0700");
    REQUIRE(
        run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "--force", "-q"}).exit_code ==
        0);
    CHECK(mode_of(tmp / "root") == "0700");
    CHECK(mode_of(tmp / "root" / "swarm-root-ca.key") == "0600");
}

TEST_CASE("ca init refuses a world-writable --out in one line and leaves its sticky bit",
          "[cli][ca]") {
    TempDir tmp;
    std::filesystem::create_directory(tmp / "shared");
    REQUIRE(::chmod((tmp / "shared").c_str(), 01777) == 0);
    auto r = run_swarmpki({"ca", "init", "--out", (tmp / "shared").string()});
    CHECK(r.exit_code == 3);
    CHECK(lines_in(r.err) == 1);
    CHECK(r.err.find((tmp / "shared").string() + ": has mode 1777") != std::string::npos);
    CHECK(r.err.find("chmod go-w") != std::string::npos);
    CHECK(mode_of(tmp / "shared") == "1777");
    CHECK(std::filesystem::is_empty(tmp / "shared"));
}

TEST_CASE("ca init refuses a symlinked --out and changes nothing through it", "[cli][ca]") {
    TempDir tmp;
    std::filesystem::create_directory(tmp / "real");
    REQUIRE(::chmod((tmp / "real").c_str(), 0700) == 0);
    std::filesystem::create_directory_symlink(tmp / "real", tmp / "link");
    for (const char* force : {"-q", "--force"}) {
        auto r = run_swarmpki({"ca", "init", "--out", (tmp / "link").string(), force});
        CHECK(r.exit_code == 3);
        CHECK(r.err.find((tmp / "link").string() + ": is a symlink") != std::string::npos);
    }
    CHECK(mode_of(tmp / "real") == "0700");
    CHECK(std::filesystem::is_empty(tmp / "real"));
    CHECK(std::filesystem::is_symlink(tmp / "link"));
}

TEST_CASE("ca init under umask 000 makes missing parents 0755 and the key 0600", "[cli][ca]") {
    TempDir tmp;
    auto out = tmp / "a" / "b" / "root";
    auto r = run_program("/bin/sh", {"-c", "umask 000 && exec \"$0\" ca init --out \"$1\" -q",
                                     SWARMPKI_BINARY, out.string()});
    REQUIRE(r.exit_code == 0);
    CHECK(mode_of(tmp / "a") == "0755");
    CHECK(mode_of(tmp / "a" / "b") == "0755");
    CHECK(mode_of(out) == "0755");
    CHECK(mode_of(out / "swarm-root-ca.key") == "0600");
    CHECK(mode_of(out / "swarm-root-ca.crt") == "0644");
}

TEST_CASE("ca issue refuses a --ca another user owns and an --out others may change", "[cli][ca]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "-q"}).exit_code == 0);
    std::filesystem::create_directory(tmp / "node");
    REQUIRE(::chmod((tmp / "node").c_str(), 0770) == 0);
    auto writable = run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role",
                                  "worker", "--out", (tmp / "node").string()});
    CHECK(writable.exit_code == 3);
    CHECK(writable.err.find((tmp / "node").string() + ": has mode 0770") != std::string::npos);
    CHECK(std::filesystem::is_empty(tmp / "node"));
    if (::chown((tmp / "root").c_str(), 65534, 65534) != 0) {
        WARN("cannot chown to 65534 (not root): skipped");
        return;
    }
    auto foreign = run_swarmpki({"ca", "issue", "--ca", (tmp / "root").string(), "--role", "worker",
                                 "--out", (tmp / "node2").string()});
    CHECK(foreign.exit_code == 3);
    CHECK(lines_in(foreign.err) == 1);
    CHECK(foreign.err.find((tmp / "root").string() + ": is owned by ") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(tmp / "node2"));
}
