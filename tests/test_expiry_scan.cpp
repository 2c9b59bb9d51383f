// evaluate_expiry over node directories: kinds, identities, rotation states and the cluster rule
// (two roots in one cluster: a warning when a cross-signature links them, critical otherwise).
#include "support.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/pem.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <openssl/asn1.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;
namespace fs = std::filesystem;

namespace {

Instant captured(const std::string& scenario) {
    auto index = swarmpki::test::load_json(*fixtures_dir() / "index.json");
    for (auto& s : index["scenarios"])
        if (s["scenario"] == scenario) return *parse_rfc3339(s["captured_at"].get<std::string>());
    FAIL("no scenario " << scenario);
    return {};
}

std::string node_dir(const std::string& scenario, const std::string& node) {
    return (*fixtures_dir() / scenario / "certificates" / node).string();
}

ExpiryReport scan(std::vector<std::string> paths, Instant at, unsigned threads = 2) {
    ExpiryOptions options;
    options.at = at;
    options.threads = threads;
    return evaluate_expiry(plan_scan(paths), options);
}

// The certificate in `pem` re-encoded with its outer SEQUENCE in BER's indefinite-length form
// (30 80 ... 00 00): OpenSSL still parses it (and its signature, over the unchanged TBS, still
// verifies); the scan's fast facts reader does not, so the scan parses it in full.
std::string indefinite_length_pem(const std::string& pem) {
    Bytes der = parse_pem_or_throw(pem, "test").blocks.at(0).der;
    const unsigned char* content = der.data();
    long length = 0;
    int tag = 0, xclass = 0;
    REQUIRE(ASN1_get_object(&content, &length, &tag, &xclass, static_cast<long>(der.size())) ==
            V_ASN1_CONSTRUCTED);
    Bytes out(static_cast<std::size_t>(length) + 4);
    unsigned char* p = out.data();
    ASN1_put_object(&p, 2, 0, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);  // 2: indefinite
    std::memcpy(p, content, static_cast<std::size_t>(length));
    p += length;
    ASN1_put_eoc(&p);
    REQUIRE(p == out.data() + out.size());
    return encode_pem("CERTIFICATE", out);
}

const CertExpiry& record(const ExpiryReport& r, const std::string& path) {
    auto it = std::find_if(r.certificates.begin(), r.certificates.end(),
                           [&](const CertExpiry& e) { return e.path == path; });
    REQUIRE(it != r.certificates.end());
    return *it;
}

const NodeDirectory& directory(const ExpiryReport& r, const std::string& path) {
    auto it = std::find_if(r.directories.begin(), r.directories.end(),
                           [&](const NodeDirectory& d) { return d.path == path; });
    REQUIRE(it != r.directories.end());
    return *it;
}

}  // namespace

TEST_CASE("evaluate_expiry reads a node directory's chain and roots", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string dir = node_dir("rotation-in-progress", "manager1");
    ExpiryReport r = scan({dir}, captured("rotation-in-progress"));
    REQUIRE(r.certificates.size() == 3);
    CHECK(r.certificates[0].kind == CertKind::node);
    CHECK(r.certificates[0].node_id == "2i2jiz7b6wivuwtazt3d7zta8");
    CHECK(r.certificates[0].role == "manager");
    CHECK(r.certificates[0].cluster_id == "45dwjg326020dkgqtum4kdw4o");
    CHECK(r.certificates[1].kind == CertKind::intermediate);  // the cross-signed new root
    CHECK(r.certificates[2].kind == CertKind::root);
    CHECK(r.certificates[2].cluster_id == "45dwjg326020dkgqtum4kdw4o");
    CHECK_FALSE(r.certificates[2].node_id);
    CHECK(r.status == Severity::ok);
    CHECK(directory(r, dir).rotation == RotationState::in_progress);
    REQUIRE(r.summary.clusters.size() == 1);
    CHECK(r.summary.clusters[0].rotation_in_progress);
    CHECK(r.summary.clusters[0].root_digests ==
          std::vector<std::string>{
              "f8425b7b5df6df6e3d15d12bea219238c4f7dc9267ea074bcffa534da0b19726"});
    CHECK(r.summary.by_status.at(ExpiryStatus::ok) == 3);
    CHECK(r.summary.files_scanned == 2);
    CHECK(directory(r, dir).key_present);
}

TEST_CASE("rotation states by keys and signatures", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string done = node_dir("rotation-complete", "worker1");
    std::string offline = node_dir("rotation-in-progress", "worker1");
    std::string plain = node_dir("worker", "manager1");
    ExpiryReport r = scan({done, offline, plain}, captured("rotation-complete"));
    CHECK(directory(r, done).rotation == RotationState::completed);
    CHECK(directory(r, offline).rotation == RotationState::none);
    CHECK(directory(r, plain).rotation == RotationState::none);
}

TEST_CASE("two roots in one cluster: linked by a cross-signature is a warning",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // The offline worker still holds the old root; the manager holds the new one and the
    // cross-signed intermediate (new key, signed by the old root).
    ExpiryReport r = scan({node_dir("rotation-in-progress", "worker1"),
                           node_dir("rotation-complete", "manager1")},
                          captured("rotation-complete"));
    REQUIRE(r.summary.clusters.size() == 1);
    const ClusterSummary& c = r.summary.clusters[0];
    CHECK(c.root_digests.size() == 2);
    CHECK(c.rotation_in_progress);
    CHECK(c.severity == Severity::warning);
    CHECK(r.status == Severity::warning);
}

TEST_CASE("two roots in one cluster that nothing links are critical", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // Before any rotation, and after autolock re-issued the leaf without the intermediate:
    // no directory here carries the cross-signed certificate that would explain two roots.
    ExpiryReport r = scan({node_dir("init-manager", "manager1"), node_dir("autolock", "manager1")},
                          captured("autolock"));
    REQUIRE(r.summary.clusters.size() == 1);
    CHECK(r.summary.clusters[0].root_digests.size() == 2);
    CHECK(r.summary.clusters[0].severity == Severity::critical);
    CHECK_FALSE(r.summary.clusters[0].finding.empty());
    CHECK(r.status == Severity::critical);
}

TEST_CASE("a whole fixture tree scans the same on one thread and on many",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    Instant at = captured("cert-expiry-1h");
    ExpiryReport one = scan({fixtures_dir()->string()}, at, 1);
    ExpiryReport many = scan({fixtures_dir()->string()}, at, 8);
    REQUIRE(one.certificates.size() == many.certificates.size());
    for (std::size_t i = 0; i < one.certificates.size(); ++i) {
        CHECK(one.certificates[i].path == many.certificates[i].path);
        CHECK(one.certificates[i].status == many.certificates[i].status);
    }
    CHECK(one.errors.empty());
    CHECK(one.summary.earliest_not_after == *parse_rfc3339("2026-11-28T23:57:00Z"));
    // Every scenario is a snapshot of one swarm that rotated three times; each pair of its roots
    // is linked by a cross-signed intermediate somewhere in the corpus.
    REQUIRE(one.summary.clusters.size() == 1);
    CHECK(one.summary.clusters[0].root_digests.size() == 4);
    CHECK(one.summary.clusters[0].severity == Severity::warning);
}

TEST_CASE("a tree walk and named directories agree on what a node directory holds",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // The walk takes file types and the key's presence from the directory listing; a directory
    // named on the command line is checked with stat. Both must say the same, for a key present
    // and absent, and for a swarm file that is a symlink (not a listed regular file).
    swarmpki::test::TempDir tmp;
    fs::path with_key = swarmpki::test::copy_node_dir("worker", "worker1", tmp / "tree");
    fs::path without_key = tmp / "tree" / "nokey";
    fs::create_directories(without_key);
    fs::copy_file(with_key / "swarm-root-ca.crt", without_key / "swarm-root-ca.crt");
    fs::copy_file(with_key / "swarm-node.crt", tmp / "leaf.crt");
    fs::create_symlink(tmp / "leaf.crt", without_key / "swarm-node.crt");
    REQUIRE(fs::exists(with_key / "swarm-node.key"));
    Instant at = captured("worker");
    ExpiryReport walked = scan({(tmp / "tree").string()}, at);
    ExpiryReport named = scan({with_key.string(), without_key.string()}, at);
    for (const ExpiryReport* r : {&walked, &named}) {
        CHECK(directory(*r, with_key.string()).key_present);
        CHECK_FALSE(directory(*r, without_key.string()).key_present);
        CHECK(directory(*r, without_key.string()).node_cert_present);
        CHECK(r->errors.empty());
        CHECK(r->summary.files_scanned == 4);
    }
    REQUIRE(walked.certificates.size() == named.certificates.size());
    for (std::size_t i = 0; i < walked.certificates.size(); ++i) {
        CHECK(walked.certificates[i].path == named.certificates[i].path);
        CHECK(walked.certificates[i].subject == named.certificates[i].subject);
        CHECK(walked.certificates[i].issuer_cn == named.certificates[i].issuer_cn);
        CHECK(walked.certificates[i].public_key_sha256 == named.certificates[i].public_key_sha256);
    }
    CHECK(directory(walked, with_key.string()).root_file_sha256 ==
          directory(named, without_key.string()).root_file_sha256);
}

TEST_CASE("identical root files share one parse but keep their own paths and digests",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    swarmpki::test::TempDir tmp;
    std::vector<std::string> dirs;
    for (const char* node : {"worker1", "manager1"}) {
        fs::path d = swarmpki::test::copy_node_dir("worker", node, tmp / node);
        dirs.push_back(d.string());
    }
    ExpiryReport r = scan({tmp.str()}, captured("worker"), 1);  // one worker: cache hits
    REQUIRE(r.directories.size() == 2);
    CHECK(r.directories[0].root_file_sha256 == r.directories[1].root_file_sha256);
    std::size_t roots = 0;
    for (const CertExpiry& e : r.certificates)
        if (e.kind == CertKind::root) {
            ++roots;
            CHECK(e.path.find("swarm-root-ca.crt") != std::string::npos);
            CHECK(e.cluster_id.has_value());
        }
    CHECK(roots == 2);
    CHECK(r.certificates[0].path != r.certificates[2].path);
}

TEST_CASE("a certificate's kind does not depend on the file scanned before it", "[expiry][cli]") {
    // A root, then the cross-signed CA (subject = issuer = CN=swarm-ca, signed by the other
    // root's key: an intermediate), both in a form the fast reader steps aside for. Their full
    // parses are scan-local objects; the signature memo once keyed them by address, and the
    // second took the first one's address and its "self-signed" answer: reported as a root.
    swarmpki::test::TempDir tmp;
    std::string old_ca = (tmp / "old").string(), new_ca = (tmp / "new").string();
    std::string cross = (tmp / "cross.crt").string();
    REQUIRE(swarmpki::test::run_swarmpki({"ca", "init", "--out", old_ca}).exit_code == 0);
    REQUIRE(swarmpki::test::run_swarmpki({"ca", "init", "--out", new_ca}).exit_code == 0);
    REQUIRE(swarmpki::test::run_swarmpki(
                {"ca", "cross-sign", "--old", old_ca, "--new", new_ca, "--out", cross})
                .exit_code == 0);
    fs::create_directories(tmp / "tree");
    std::string root_path = (tmp / "tree" / "a-root.crt").string();
    std::string cross_path = (tmp / "tree" / "b-cross.crt").string();
    swarmpki::test::write_text(root_path, indefinite_length_pem(swarmpki::test::read_text(
                                              fs::path(old_ca) / "swarm-root-ca.crt")));
    swarmpki::test::write_text(cross_path, indefinite_length_pem(swarmpki::test::read_text(cross)));
    Instant at = *parse_rfc3339("2030-01-01T00:00:00Z");

    ExpiryReport alone = scan({cross_path}, at, 1);
    REQUIRE(alone.certificates.size() == 1);
    CHECK(alone.certificates[0].kind == CertKind::intermediate);
    for (unsigned threads : {1u, 4u}) {
        INFO(threads);
        ExpiryReport both = scan({(tmp / "tree").string()}, at, threads);
        CHECK(both.errors.empty());
        REQUIRE(both.certificates.size() == 2);
        CHECK(record(both, root_path).kind == CertKind::root);
        CHECK(record(both, cross_path).kind == CertKind::intermediate);
    }
}

TEST_CASE("the JSON document is JsonWriter's pretty layout, byte for byte",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // The certificates array is appended directly (it is most of a fleet's document); the
    // layout must still be the pretty style every other document uses: re-serializing the
    // parsed document in the same style gives the same bytes.
    ExpiryOptions options;
    options.at = captured("cert-expiry-1h");
    options.cert_expiry = Seconds(7776000);
    options.threads = 2;
    ExpiryReport r = evaluate_expiry(plan_scan(std::vector<std::string>{fixtures_dir()->string()}),
                                     options);
    REQUIRE(r.certificates.size() > 10);
    std::string out = render_expiry_json(r);
    CHECK(nlohmann::ordered_json::parse(out).dump(2) + "\n" == out);

    // Hostile strings: escaped as JsonWriter escapes them (the JSONL record goes through it).
    CertExpiry odd = r.certificates[0];
    odd.path = "dir/\"quoted\"\\back\nline\x01\x7f";
    odd.subject = std::string("CN=caf\xc3\xa9,O=bad\xff");
    odd.renewal_window.reset();
    odd.lifetime_mismatch = true;
    odd.not_after = *parse_rfc3339("9999-12-31T23:59:59Z");
    // The JSON array's records and the JSONL certificate records are written by two serializers
    // (the array's is the fast one): each must hold every member of the other, with its value.
    auto same_members = [](const ExpiryReport& report) {
        auto doc = nlohmann::json::parse(render_expiry_json(report));
        auto line = nlohmann::json::parse(
            render_expiry_jsonl(report).substr(0, render_expiry_jsonl(report).find('\n')));
        const auto& cert = doc["certificates"][0];
        for (const auto& [key, value] : cert.items()) {
            INFO("JSON member " << key);
            REQUIRE(line.contains(key));
            CHECK(line[key] == value);
        }
        CHECK(line["record"] == "certificate");
        for (const auto& [key, value] : line.items()) {
            if (key == "schema" || key == "record") continue;  // the line's own framing
            INFO("JSONL member " << key);
            REQUIRE(cert.contains(key));
            CHECK(cert[key] == value);
        }
        return doc;
    };
    ExpiryReport node;  // a node certificate: renewal window, identity, lifetime_mismatch set
    auto is_node = [](const CertExpiry& e) { return e.kind == CertKind::node; };
    node.certificates = {*std::find_if(r.certificates.begin(), r.certificates.end(), is_node)};
    REQUIRE(node.certificates[0].renewal_window);
    REQUIRE(node.certificates[0].lifetime_mismatch);
    same_members(node);
    ExpiryReport small;
    small.certificates = {odd};
    auto doc = same_members(small);
    const auto& cert = doc["certificates"][0];
    CHECK(cert["path"] == odd.path);
    CHECK(cert["subject"] == "CN=caf\xc3\xa9,O=bad\xef\xbf\xbd");
    CHECK(cert["renewal_window"].is_null());
    CHECK(cert["lifetime_mismatch"] == true);
    CHECK(cert["not_after"] == "9999-12-31T23:59:59Z");
    ExpiryReport empty;
    std::string empty_out = render_expiry_json(empty);
    CHECK(nlohmann::ordered_json::parse(empty_out).dump(2) + "\n" == empty_out);
    CHECK(nlohmann::json::parse(empty_out)["certificates"].empty());
}
