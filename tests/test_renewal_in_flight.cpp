// The engine's renewal, replayed step by step (swarmkit ca/keyreadwriter.go Write): the new
// certificate to .swarm-node.crt, then the new key over swarm-node.key, then the rename of
// .swarm-node.crt over swarm-node.crt. After every step each command must judge the directory as
// the engine's reader would (renewal.hpp): a renewal in flight is a notice and the new pair, never
// a key-mismatch. And a directory that changes while it is read is read again, not cried wolf at.
#include "support.hpp"

#include "swarmpki/file.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/peer_verify.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/serve.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using swarmpki::test::copy_node_dir;
using swarmpki::test::fixture_captured_at;
using swarmpki::test::fixtures_dir;
using swarmpki::test::read_text;
using swarmpki::test::run_swarmpki;
using swarmpki::test::TempDir;

namespace {

// One pair as the engine leaves it on disk.
struct Pair {
    std::string cert, key;
};

Pair pair_in(const fs::path& dir) {
    return {read_text(dir / "swarm-node.crt"), read_text(dir / "swarm-node.key")};
}

std::string serial_of(const std::string& pem) {
    return swarmpki::certificates_from_pem(swarmpki::parse_pem_or_throw(pem, "test"), "test")
        .front()
        .serial_hex();
}

// The engine's Write, one step at a time; each file is written atomically, as the engine does.
void engine_step(const fs::path& dir, int step, const Pair& next) {
    switch (step) {
        case 1:
            swarmpki::write_file_atomically((dir / ".swarm-node.crt").string(), next.cert, 0644,
                                            swarmpki::Overwrite::yes);
            break;
        case 2:
            swarmpki::write_file_atomically((dir / "swarm-node.key").string(), next.key, 0600,
                                            swarmpki::Overwrite::yes);
            break;
        case 3: fs::rename(dir / ".swarm-node.crt", dir / "swarm-node.crt"); break;
        default: break;
    }
}

std::vector<std::string> codes_of(const nlohmann::json& node) {
    std::vector<std::string> codes;
    for (const auto& f : node["findings"]) codes.push_back(f["code"].get<std::string>());
    return codes;
}

bool has(const std::vector<std::string>& codes, const std::string& code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// What every command must say after step `step` of a renewal from `old_pair` to `new_pair`.
struct Expected {
    std::string serial;     // the node certificate judged
    std::string notice;     // the renewal finding, or empty
    std::string cert_file;  // the file the node certificate comes from
    std::string renewal;    // expiry's directories[].renewal
};

Expected expected_after(int step, const Pair& old_pair, const Pair& new_pair) {
    switch (step) {
        case 0: return {serial_of(old_pair.cert), "", "swarm-node.crt", "absent"};
        case 1:
            return {serial_of(old_pair.cert), "interrupted-write", "swarm-node.crt", "leftover"};
        case 2:
            return {serial_of(new_pair.cert), "renewal-in-flight", ".swarm-node.crt", "in-flight"};
        default: return {serial_of(new_pair.cert), "", "swarm-node.crt", "absent"};
    }
}

void check_inspect(const fs::path& dir, const std::string& at, const Expected& want,
                   const std::vector<std::string>& env = {}) {
    auto run = run_swarmpki({"inspect", "--dir", dir.string(), "--format", "json", "--at", at}, {},
                            env);
    INFO(run.out << run.err);
    nlohmann::json node = run.json()["nodes"][0];
    std::vector<std::string> codes = codes_of(node);
    CHECK(run.exit_code == 0);
    CHECK(node["status"] == "ok");
    CHECK(node["error"].is_null());
    CHECK(node["node"]["serial"] == want.serial);
    CHECK(node["key"]["matches_certificate"] != false);
    CHECK_FALSE(has(codes, "key-mismatch"));
    for (const char* code : {"interrupted-write", "renewal-in-flight", "renewal-unchecked"})
        CHECK(has(codes, code) == (want.notice == code));
    for (const auto& f : node["findings"])
        if (f["code"] == want.notice) CHECK(f["severity"] == "notice");
}

void check_expiry(const fs::path& dir, const std::string& at, const Expected& want,
                  const std::vector<std::string>& env = {}) {
    auto run = run_swarmpki({"expiry", dir.string(), "--format", "json", "--at", at}, {}, env);
    INFO(run.out << run.err);
    nlohmann::json doc = run.json();
    CHECK(run.exit_code == 0);
    CHECK(doc["errors"].empty());
    REQUIRE(doc["directories"].size() == 1);
    CHECK(doc["directories"][0]["renewal"] == want.renewal);
    std::size_t nodes = 0;
    for (const auto& c : doc["certificates"]) {
        if (c["kind"] != "node") continue;
        ++nodes;
        CHECK(c["serial"] == want.serial);
        CHECK(fs::path(c["path"].get<std::string>()).filename() == want.cert_file);
    }
    CHECK(nodes == 1);
}

void check_verify(const fs::path& dir, const fs::path& peer, swarmpki::Instant at,
                  const Expected& want) {
    swarmpki::PeerMaterial node = swarmpki::load_peer_material(dir.string());
    CHECK(node.chain.front().serial_hex() == want.serial);
    CHECK(node.certificate_file == want.cert_file);
    swarmpki::PeerVerdict verdict = swarmpki::verify_peers(
        node, swarmpki::load_peer_material(peer.string()), at);
    CHECK(verdict.accepted);
    CHECK(verdict.severity == swarmpki::Severity::ok);
}

// serve's scan goes through the same library calls: its status and both bodies agree.
void check_serve(const fs::path& dir, swarmpki::Instant at, const Expected& want) {
    swarmpki::ScanSettings settings;
    settings.dirs = {dir.string()};
    swarmpki::Snapshot snapshot = swarmpki::scan_directories(settings, at);
    CHECK(snapshot.scan_succeeded);
    // The worst served, inspect's notices included: "ok" as a status word and an exit code.
    CHECK(swarmpki::status_word(snapshot.status) == "ok");
    nlohmann::json inspect = nlohmann::json::parse(snapshot.inspect_json);
    CHECK(inspect["nodes"][0]["node"]["serial"] == want.serial);
    std::vector<std::string> codes = codes_of(inspect["nodes"][0]);
    CHECK_FALSE(has(codes, "key-mismatch"));
    CHECK(has(codes, "renewal-in-flight") == (want.notice == "renewal-in-flight"));
    for (const auto& c : snapshot.state.certificates)
        if (c.kind == "node") CHECK(c.serial == want.serial);
}

// The whole replay on `dir`, which holds `old_pair`.
void replay_renewal(const fs::path& dir, const Pair& old_pair, const Pair& new_pair,
                    const fs::path& peer, const std::string& at) {
    swarmpki::Instant instant = *swarmpki::parse_rfc3339(at);
    for (int step = 0; step <= 3; ++step) {
        engine_step(dir, step, new_pair);
        Expected want = expected_after(step, old_pair, new_pair);
        INFO("after step " << step);
        check_inspect(dir, at, want);
        check_expiry(dir, at, want);
        check_verify(dir, peer, instant, want);
        check_serve(dir, instant, want);
    }
}

// A scratch directory on tmpfs when there is one: the race below is about the order of renames,
// and on a disk filesystem the loop's inode churn alone (a new inode per step) costs seconds.
class RaceDir {
public:
    RaceDir() {
        std::error_code ec;
        fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm")
                                                         : fs::temp_directory_path();
        path_ = base / ("swarmpki-race-" + std::to_string(::getpid()));
        fs::create_directories(path_);
    }
    ~RaceDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    RaceDir(const RaceDir&) = delete;
    RaceDir& operator=(const RaceDir&) = delete;
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

}  // namespace

TEST_CASE("a renewal replayed on a fixture manager: every step is a pair the engine uses",
          "[node-directory][cli]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    TempDir tmp;
    // join-token-rotated and rotation-in-progress trust the same root; in between, the engine
    // renewed manager1 (a new key, and a leaf under the cross-signed new root).
    fs::path dir = copy_node_dir("join-token-rotated", "manager1", tmp / "m1");
    fs::path peer = copy_node_dir("join-token-rotated", "worker1", tmp / "w1");
    fs::path renewed = copy_node_dir("rotation-in-progress", "manager1", tmp / "m1-new");
    Pair old_pair = pair_in(dir), new_pair = pair_in(renewed);
    REQUIRE(serial_of(old_pair.cert) != serial_of(new_pair.cert));
    replay_renewal(dir, old_pair, new_pair, peer, fixture_captured_at("rotation-in-progress"));

    // The new pair is the engine's: mid-rotation, judged from the new chain.
    auto run = run_swarmpki({"inspect", "--dir", dir.string(), "--format", "json", "--at",
                             fixture_captured_at("rotation-in-progress")});
    CHECK(run.json()["nodes"][0]["rotation"]["state"] == "in-progress");
}

TEST_CASE("a renewal replayed on ca issue output: identity comes from the new certificate",
          "[node-directory][cli]") {
    TempDir tmp;
    std::string at = "2026-11-28T22:54:07Z";
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "ca").string(), "--at", at}).exit_code ==
            0);
    auto issue = [&](const std::string& out, const std::string& id) {
        // One cluster, as in a real swarm: verify refuses peers of another (different-cluster).
        auto run = run_swarmpki({"ca", "issue", "--ca", (tmp / "ca").string(), "--role", "worker",
                                 "--node-id", id, "--cluster-id", "renewingcluster0000000001",
                                 "--out", (tmp / out).string(), "--at", at});
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
    };
    issue("node", "renewingnode0000000000001");
    issue("node-new", "renewingnode0000000000001");
    issue("peer", "peernode00000000000000001");
    Pair old_pair = pair_in(tmp / "node"), new_pair = pair_in(tmp / "node-new");
    replay_renewal(tmp / "node", old_pair, new_pair, tmp / "peer", at);
}

TEST_CASE("a renewal to an autolocked key: unchecked without the unlock key, in flight with it",
          "[node-directory][cli]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    TempDir tmp;
    // rotation-complete and autolock trust the same root; turning autolock on renewed manager1
    // and encrypted its new key.
    fs::path dir = copy_node_dir("rotation-complete", "manager1", tmp / "m1");
    fs::path renewed = copy_node_dir("autolock", "manager1", tmp / "m1-new");
    Pair old_pair = pair_in(dir), new_pair = pair_in(renewed);
    std::string at = fixture_captured_at("autolock");
    std::string unlock = read_text(*fixtures_dir() / "autolock" / "raw" / "unlock_key.txt");
    while (!unlock.empty() && (unlock.back() == '\n' || unlock.back() == '\r')) unlock.pop_back();
    std::vector<std::string> with_key{"SWARMPKI_UNLOCK_KEY=" + unlock};

    engine_step(dir, 1, new_pair);
    engine_step(dir, 2, new_pair);
    Expected locked{serial_of(old_pair.cert), "renewal-unchecked", "swarm-node.crt", "unchecked"};
    check_inspect(dir, at, locked);
    check_expiry(dir, at, locked);
    check_inspect(dir, at, expected_after(2, old_pair, new_pair), with_key);
}

TEST_CASE("a key that matches neither certificate stays a critical key-mismatch",
          "[node-directory][cli]") {
    TempDir tmp;
    std::string at = "2026-11-28T22:54:07Z";
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "ca").string(), "--at", at}).exit_code ==
            0);
    for (const char* out : {"node", "node-new", "stranger"})
        REQUIRE(run_swarmpki({"ca", "issue", "--ca", (tmp / "ca").string(), "--role", "worker",
                              "--out", (tmp / out).string(), "--at", at})
                    .exit_code == 0);
    fs::path dir = tmp / "node";
    engine_step(dir, 1, pair_in(tmp / "node-new"));
    engine_step(dir, 2, pair_in(tmp / "stranger"));

    auto run = run_swarmpki({"inspect", "--dir", dir.string(), "--format", "json", "--at", at});
    nlohmann::json node = run.json()["nodes"][0];
    CHECK(run.exit_code == 2);
    CHECK(node["status"] == "critical");
    CHECK(has(codes_of(node), "key-mismatch"));
    CHECK_FALSE(has(codes_of(node), "renewal-in-flight"));
    CHECK(swarmpki::read_node_directory(dir.string()).key_match.pending ==
          swarmpki::PendingCertificate::stale);
}

TEST_CASE("a directory read while a renewal loop renames its files: no false critical",
          "[node-directory][slow]") {
    TempDir tmp;
    std::string at = "2026-11-28T22:54:07Z";
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "ca").string(), "--at", at}).exit_code ==
            0);
    for (const char* out : {"a", "b"})
        REQUIRE(run_swarmpki({"ca", "issue", "--ca", (tmp / "ca").string(), "--role", "worker",
                              "--node-id", "racingnode000000000000001", "--out",
                              (tmp / out).string(), "--at", at})
                    .exit_code == 0);
    Pair pairs[2] = {pair_in(tmp / "a"), pair_in(tmp / "b")};
    std::string serials[2] = {serial_of(pairs[0].cert), serial_of(pairs[1].cert)};
    RaceDir race;
    fs::path dir = race / "node";
    fs::copy(tmp / "a", dir);
    fs::path stage = race / "stage";  // same filesystem: a rename from here into dir is atomic
    fs::create_directory(stage);

    std::atomic<bool> stop{false};
    std::atomic<long> renewals{0};
    std::thread renewer([&] {
        std::mt19937 random(12345);
        std::uniform_int_distribution<int> pause_us(0, 3000);
        for (int next = 1; !stop.load(); next ^= 1) {
            // The engine's three steps, each a rename of a file prepared out of sight.
            swarmpki::test::write_text(stage / "crt", pairs[next].cert);
            swarmpki::test::write_text(stage / "key", pairs[next].key);
            fs::permissions(stage / "key", fs::perms::owner_read | fs::perms::owner_write);
            fs::rename(stage / "crt", dir / ".swarm-node.crt");
            std::this_thread::sleep_for(std::chrono::microseconds(pause_us(random)));
            fs::rename(stage / "key", dir / "swarm-node.key");
            std::this_thread::sleep_for(std::chrono::microseconds(pause_us(random)));
            fs::rename(dir / ".swarm-node.crt", dir / "swarm-node.crt");
            std::this_thread::sleep_for(std::chrono::microseconds(pause_us(random)));
            ++renewals;
        }
    });

    swarmpki::Instant instant = *swarmpki::parse_rfc3339(at);
    long false_criticals = 0, unknown = 0, other_serial = 0, re_reads = 0, in_flight = 0;
    constexpr int kInspections = 10000;
    auto started = std::chrono::steady_clock::now();
    std::clock_t cpu_started = std::clock();
    for (int i = 0; i < kInspections; ++i) {
        swarmpki::NodeReport report = swarmpki::inspect_node(dir.string(), {}, instant);
        re_reads += report.reads - 1;
        if (report.severity == swarmpki::Severity::critical) {
            ++false_criticals;
            for (const auto& f : report.findings)
                if (f.severity == swarmpki::Severity::critical)
                    UNSCOPED_INFO(f.code << ": " << f.message);
        }
        if (report.severity == swarmpki::Severity::unknown) ++unknown;
        if (report.node && report.node->serial != serials[0] && report.node->serial != serials[1])
            ++other_serial;
        for (const auto& f : report.findings) in_flight += f.code == "renewal-in-flight";
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double cpu_seconds = static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC;
    stop = true;
    renewer.join();

    WARN("rename race: " << kInspections << " inspections in " << seconds << " s (" << cpu_seconds
                         << " s cpu, both threads) during " << renewals.load() << " renewals: "
                         << false_criticals << " false criticals, " << re_reads << " re-reads, "
                         << unknown << " still changing after " << swarmpki::kMaxDirectoryReads
                         << " reads, " << in_flight << " caught in flight");
    CHECK(false_criticals == 0);
    CHECK(other_serial == 0);
    CHECK(renewals.load() > 100);  // the race did race
    CHECK(in_flight > 0);          // and the in-flight state was seen, and judged
    CHECK(re_reads > 0);           // and changes were caught and read again
}

TEST_CASE("a missing swarm-node.crt with a matching .swarm-node.crt is a renewal in flight",
          "[node-directory]") {
    TempDir tmp;
    std::string at = "2026-11-28T22:54:07Z";
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "ca").string(), "--at", at}).exit_code ==
            0);
    REQUIRE(run_swarmpki({"ca", "issue", "--ca", (tmp / "ca").string(), "--role", "worker", "--out",
                          (tmp / "node").string(), "--at", at})
                .exit_code == 0);
    fs::path dir = tmp / "node";
    std::string serial = serial_of(read_text(dir / "swarm-node.crt"));
    // The engine's reader takes .swarm-node.crt when swarm-node.crt is missing (os.IsNotExist)
    // or is not a certificate at all (tls.X509KeyPair fails): both are pairs it uses.
    fs::rename(dir / "swarm-node.crt", dir / ".swarm-node.crt");
    for (const char* swarm_node_crt : {"", "not a certificate\n"}) {
        if (*swarm_node_crt) swarmpki::test::write_text(dir / "swarm-node.crt", swarm_node_crt);
        INFO("swarm-node.crt: " << (*swarm_node_crt ? swarm_node_crt : "missing"));
        swarmpki::CertificatesDirectory node = swarmpki::read_node_directory(dir.string());
        CHECK_FALSE(node.error.has_value());
        CHECK(node.key_match.pending == swarmpki::PendingCertificate::in_flight);
        REQUIRE(node.cert_file);
        CHECK(node.cert_file->entry.name == ".swarm-node.crt");
        CHECK(node.cert_file->certificates.front().serial_hex() == serial);
        swarmpki::NodeReport report = swarmpki::inspect_node(dir.string(), {},
                                                             *swarmpki::parse_rfc3339(at));
        CHECK(report.severity == swarmpki::Severity::notice);
        CHECK_FALSE(report.error.has_value());
    }
}
