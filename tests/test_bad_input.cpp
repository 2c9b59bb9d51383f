// The bad-input suite: copies of real node directories broken in the ways disks, people and
// scripts break them. Each either still evaluates (a finding, with the right exit code) or exits
// 3 with exactly one stderr line naming the file, a complete JSON document on stdout with the
// same line in nodes[].error, and no secret anywhere. Never a crash.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <random>

using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

const std::string kAt = "2026-11-28T22:54:50Z";  // rotation-in-progress capture time

struct Case {
    const char* name;
    const char* file;  // the file the error must name ("" when it must evaluate)
    std::function<void(const fs::path& dir, const fs::path& scratch)> breakage;
    int exit_code;
    const char* expected;  // part of the stderr line, or a finding code when it evaluates
};

std::string crlf(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return out;
}

// The key's base64 body lines and the raft DEK header value: must never be printed.
std::vector<std::string> secrets_of(const std::string& key) {
    std::vector<std::string> secrets;
    std::size_t pos = key.find("\n\n") + 2;
    if (std::size_t dek = key.find("raft-dek: "); dek != std::string::npos)
        secrets.push_back(key.substr(dek + 10, key.find('\n', dek) - dek - 10));
    while (pos < key.size() && key.compare(pos, 5, "-----") != 0) {
        std::size_t end = key.find('\n', pos);
        secrets.push_back(key.substr(pos, end - pos));
        pos = end + 1;
    }
    return secrets;
}

std::string random_bytes_with_nul(std::size_t size) {
    std::mt19937 random(42);
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(random() & 0xff);
    out[1] = '\0';
    return out;
}

// The leaf's NotBefore gets a month that is not a month: the DER still parses, the time does not.
void break_leaf_time(const fs::path& dir) {
    std::string t = read_text(dir / "swarm-node.crt");
    std::size_t at = t.find("EwHhcNMjYxMTI4MjE1NTAw");
    REQUIRE(at != std::string::npos);
    t.replace(at, 22, "EwHhcNMjYx+TI4MjE1NTAw");
    write_text(dir / "swarm-node.crt", t);
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"truncated certificate", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) {
             std::string t = read_text(d / "swarm-node.crt");
             write_text(d / "swarm-node.crt", t.substr(0, t.size() / 3));
         },
         3, "block has no END line (truncated file?)"},
        {"truncated key", "swarm-node.key",
         [](const fs::path& d, const fs::path&) {
             std::string t = read_text(d / "swarm-node.key");
             write_text(d / "swarm-node.key", t.substr(0, t.size() / 2));
         },
         3, "block has no END line"},
        {"garbage base64", "swarm-root-ca.crt",
         [](const fs::path& d, const fs::path&) {
             std::string t = read_text(d / "swarm-root-ca.crt");
             t.replace(t.find('\n') + 5, 6, "!@#$%^");
             write_text(d / "swarm-root-ca.crt", t);
         },
         3, "base64 body of the CERTIFICATE block is not valid"},
        {"binary key", "swarm-node.key",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-node.key", random_bytes_with_nul(300));
         },
         3, "binary data, not PEM"},
        {"empty certificate", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) { write_text(d / "swarm-node.crt", ""); }, 3,
         "no PEM block found"},
        {"DER instead of PEM", "swarm-root-ca.crt",
         [](const fs::path& d, const fs::path&) {
             // The base64 body of the PEM, decoded: the DER the PEM wraps.
             std::string pem = read_text(d / "swarm-root-ca.crt");
             std::string body;
             std::size_t start = pem.find('\n') + 1, end = pem.find("-----END");
             for (char c : pem.substr(start, end - start))
                 if (c != '\n') body += c;
             static const std::string alphabet =
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
             std::string der;
             unsigned buffer = 0;
             int bits = 0;
             for (char c : body) {
                 if (c == '=') break;
                 buffer = (buffer << 6) | static_cast<unsigned>(alphabet.find(c));
                 bits += 6;
                 if (bits >= 8) {
                     bits -= 8;
                     der += static_cast<char>((buffer >> bits) & 0xff);
                 }
             }
             write_text(d / "swarm-root-ca.crt", der);
         },
         3, "binary data, not PEM (a DER file? convert it with openssl)"},
        {"5 MiB file", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-node.crt",
                        read_text(d / "swarm-node.crt") + std::string(5 << 20, '\n'));
         },
         3, "over the 1048576-byte limit"},
        {"dangling symlink", "swarm-node.key",
         [](const fs::path& d, const fs::path& scratch) {
             fs::remove(d / "swarm-node.key");
             fs::create_symlink(scratch / "gone.key", d / "swarm-node.key");
         },
         3, ": dangling symlink (restore the file it points to)"},
        {"a directory where a file should be", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) {
             fs::remove(d / "swarm-node.crt");
             fs::create_directory(d / "swarm-node.crt");
         },
         3, ": is a directory, expected a file"},
        {"missing certificate", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) { fs::remove(d / "swarm-node.crt"); }, 3,
         ": no such file"},
        {"a certificate time that does not parse (found by fuzz_inspect)", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) { break_leaf_time(d); }, 3,
         "reading a certificate time"},
        {"a private key in the certificate file", "swarm-node.crt",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-node.crt",
                        read_text(d / "swarm-node.crt") + read_text(d / "swarm-node.key"));
         },
         3, "is a PRIVATE KEY, expected CERTIFICATE"},
        {"a certificate in the key file", "swarm-node.key",
         [](const fs::path& d, const fs::path&) {
             fs::copy_file(d / "swarm-root-ca.crt", d / "swarm-node.key",
                           fs::copy_options::overwrite_existing);
         },
         3, "no private key block (found CERTIFICATE)"},
        {"NUL bytes in a header", "swarm-node.key",
         [](const fs::path& d, const fs::path&) {
             std::string t = read_text(d / "swarm-node.key");
             t.insert(t.find("kek-version: ") + 13, std::string("1\0", 2));
             write_text(d / "swarm-node.key", t);
         },
         3, "binary data, not PEM"},
        {"another node's key", "",
         [](const fs::path& d, const fs::path& scratch) {
             fs::path other = copy_node_dir("rotation-in-progress", "worker1", scratch);
             fs::copy_file(other / "swarm-node.key", d / "swarm-node.key",
                           fs::copy_options::overwrite_existing);
         },
         2, "key-mismatch"},
        {"another swarm's root", "",
         [](const fs::path& d, const fs::path& scratch) {
             fs::path other = copy_node_dir("external-root", "worker1", scratch);
             fs::copy_file(other / "swarm-root-ca.crt", d / "swarm-root-ca.crt",
                           fs::copy_options::overwrite_existing);
         },
         2, "chain-not-verified"},
        {"CRLF line endings in the certificate", "",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-node.crt", crlf(read_text(d / "swarm-node.crt")));
         },
         0, "crlf-line-endings"},
        {"CRLF line endings in the root (the token digest changes)", "",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-root-ca.crt", crlf(read_text(d / "swarm-root-ca.crt")));
         },
         1, "crlf-line-endings"},
        {"text outside the PEM blocks", "",
         [](const fs::path& d, const fs::path&) {
             write_text(d / "swarm-node.crt",
                        "subject=whatever\n" + read_text(d / "swarm-node.crt"));
         },
         0, "text-outside-pem"},
        {"symlink leading out of the directory", "",
         [](const fs::path& d, const fs::path& scratch) {
             fs::rename(d / "swarm-root-ca.crt", scratch / "root.crt");
             fs::create_symlink(scratch / "root.crt", d / "swarm-root-ca.crt");
         },
         1, "symlink-outside-directory"},
        {"leftover of an interrupted write", "",
         [](const fs::path& d, const fs::path&) {
             fs::copy_file(d / "swarm-node.crt", d / ".swarm-node.crt");
         },
         0, "interrupted-write"},
    };
    return all;
}

}  // namespace

TEST_CASE("bad input: every breakage is a finding or one clear line with exit 3",
          "[cli][bad-input]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    for (const Case& c : cases()) {
        INFO(c.name);
        TempDir tmp;
        fs::path dir = copy_node_dir("rotation-in-progress", "manager1", tmp.path());
        std::vector<std::string> secrets = secrets_of(read_text(dir / "swarm-node.key"));
        fs::create_directory(tmp / "scratch");
        c.breakage(dir, tmp / "scratch");

        RunResult run = run_swarmpki(
            {"inspect", "--format", "json", "--dir", dir.string(), "--at", kAt});
        INFO("stderr: " << run.err);
        CHECK(run.exit_code == c.exit_code);
        auto doc = run.json();  // always one complete document
        const auto& node = doc["nodes"][0];
        if (c.exit_code == 3) {
            std::string path = (dir / c.file).string();
            CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
            CHECK(run.err.rfind("swarmpki: " + path + ": ", 0) == 0);
            CHECK(run.err.find(c.expected) != std::string::npos);
            CHECK(node["error"] == run.err.substr(10, run.err.size() - 11));
            CHECK(node["status"] == "unknown");
            CHECK(doc["status"] == "unknown");
        } else {
            CHECK(run.err.empty());
            CHECK(node["error"].is_null());
            bool found = std::any_of(node["findings"].begin(), node["findings"].end(),
                                     [&](const auto& f) { return f["code"] == c.expected; });
            CHECK(found);
        }
        RunResult text = run_swarmpki({"inspect", "--dir", dir.string(), "--at", kAt});
        CHECK(text.exit_code == c.exit_code);
        for (const std::string& secret : secrets) {
            CHECK(run.out.find(secret) == std::string::npos);
            CHECK(run.err.find(secret) == std::string::npos);
            CHECK(text.out.find(secret) == std::string::npos);
            CHECK(text.err.find(secret) == std::string::npos);
        }
    }
}

TEST_CASE("bad input: an old unlock key after the key was rotated exits 3 with a clear line",
          "[cli][bad-input]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) return note_fixtures_missing();
    TempDir tmp;
    std::string old_key = fixture_scenario("autolock-unlock-key-rotated")["old_unlock_key"];
    REQUIRE_FALSE(old_key.empty());
    fs::path dir = copy_node_dir("autolock-unlock-key-rotated", "manager1", tmp.path());
    RunResult run = run_swarmpki({"inspect", "--format", "json", "--dir", dir.string(), "--at",
                                  "2026-11-28T22:55:49Z"},
                                 old_key + "\n");
    // Not given yet: stdin is only read with --unlock-key-stdin.
    CHECK(run.exit_code == 0);
    run = run_swarmpki({"inspect", "--format", "json", "--dir", dir.string(), "--at",
                        "2026-11-28T22:55:49Z", "--unlock-key-stdin"},
                       old_key + "\n");
    CHECK(run.exit_code == 3);
    CHECK(run.err == "swarmpki: " + (dir / "swarm-node.key").string() +
                         ": the unlock key does not decrypt this key (use the current key from "
                         "`docker swarm unlock-key -q`; a manager that was down during a key "
                         "rotation needs the previous one)\n");
    CHECK(run.json()["nodes"][0]["error"].is_string());
    CHECK(run.out.find(old_key.substr(9)) == std::string::npos);
}

TEST_CASE("bad input: verify and token verify name the certificate whose time does not parse",
          "[cli][bad-input]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    TempDir tmp;
    fs::path bad = copy_node_dir("rotation-in-progress", "manager1", tmp.path() / "bad");
    fs::path peer = copy_node_dir("rotation-in-progress", "manager1", tmp.path() / "peer");
    break_leaf_time(bad);
    std::string leaf = (bad / "swarm-node.crt").string();
    auto names_the_file = [&](const RunResult& run) {
        INFO("stderr: " << run.err);
        CHECK(run.exit_code == 3);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        CHECK(run.err.rfind("swarmpki: " + leaf + ": ", 0) == 0);
        CHECK(run.err.find("reading a certificate time") != std::string::npos);
    };
    names_the_file(
        run_swarmpki({"verify", "--dir", bad.string(), "--peer-dir", peer.string(), "--at", kAt}));
    std::string token = fixture_scenario("rotation-in-progress")["join_tokens"]["worker"];
    names_the_file(run_swarmpki({"token", "verify", token, "--ca", leaf}));
}
