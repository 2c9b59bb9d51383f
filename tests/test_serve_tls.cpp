// Mutual TLS for `serve` with the engine's own files: a node of the swarm is admitted (including
// a mid-rotation chain that OpenSSL's default verifier refuses), a node of another swarm and a
// client without a certificate are not; autolocked server keys load with the unlock key.
#include "support.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"
#include "test_node_writer.hpp"
#include "test_serve_support.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json scenario(const std::string& name) { return test::fixture_scenario(name); }
Instant captured_at(const std::string& name) {
    return *parse_rfc3339(test::fixture_captured_at(name));
}

using test::ClientIdentity;
using test::identity_of;

// GET /metrics over TLS; nullopt when the handshake (or the request) is refused.
std::optional<int> scrape(int port, const ClientIdentity* id) {
    std::unique_ptr<httplib::SSLClient> client;
    if (id) {
        client = std::make_unique<httplib::SSLClient>("127.0.0.1", port, id->chain[0].get0(),
                                                      id->key->get0());
        for (std::size_t i = 1; i < id->chain.size(); ++i)
            REQUIRE(SSL_CTX_add1_chain_cert(client->ssl_context(), id->chain[i].get0()) == 1);
    } else {
        client = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    }
    // The server certificate's SANs are swarm names, not 127.0.0.1: this test is about the
    // server's verification of the client.
    client->enable_server_certificate_verification(false);
    client->set_read_timeout(5s);
    auto result = client->Get("/metrics");
    if (!result) return std::nullopt;
    return result->status;
}

using Logs = test::LogLines;

ServeOptions tls_options(const fs::path& server_dir, const fs::path& scanned, Instant now,
                         Logs& logs) {
    ServeOptions options = test::loopback_serve_options({scanned.string()}, now, logs);
    options.tls = tls_from_node_directory(server_dir.string());
    return options;
}

}  // namespace

TEST_CASE("mutual TLS with --tls-from-dir admits the swarm's nodes and only them",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    // The server is manager1 mid-rotation: its own chain is leaf + cross-signed intermediate,
    // its trust root still the old root. worker1 (offline during the rotation) holds an old leaf.
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    auto w1 = test::copy_node_dir("rotation-in-progress", "worker1", tmp / "w1");
    Instant now = captured_at("rotation-in-progress");
    Logs logs;
    Server server(tls_options(m1, m1, now, logs));
    server.start();

    SECTION("a worker of the same swarm is served") {
        auto worker = identity_of(w1);
        CHECK(scrape(server.port(), &worker) == 200);
        std::string worker_id = scenario("rotation-in-progress")["nodes"]["worker1"]["node_id"];
        CHECK(logs.count_reaching("client_cn=" + worker_id, 1) == 1);
    }
    SECTION("the manager's own mid-rotation chain is served") {
        auto manager = identity_of(m1);
        REQUIRE(manager.chain.size() == 2);
        CHECK(scrape(server.port(), &manager) == 200);
    }
    SECTION("a node of another swarm is refused") {
        std::string at = format_rfc3339(now);
        auto init = test::run_swarmpki(
            {"ca", "init", "--out", (tmp / "other-ca").string(), "--at", at});
        REQUIRE(init.exit_code == 0);
        auto issue = test::run_swarmpki({"ca", "issue", "--ca", (tmp / "other-ca").string(),
                                         "--node-id", "othernode000000000000000a", "--role",
                                         "worker", "--cluster-id", "othercluster0000000000000",
                                         "--out", (tmp / "other").string(), "--at", at});
        REQUIRE(issue.exit_code == 0);
        auto stranger = identity_of(tmp / "other");
        CHECK_FALSE(scrape(server.port(), &stranger));
        CHECK(logs.count_reaching({"msg=\"client certificate refused\" subject=\"CN=othernode",
                                   " remote=127.0.0.1"},
                                  1) == 1);
    }
    SECTION("a node of this cluster after a rotation to another root is refused") {
        auto rotated = test::copy_node_dir("external-root", "worker1", tmp / "ext");
        auto moved_on = identity_of(rotated);
        CHECK_FALSE(scrape(server.port(), &moved_on));
    }
    SECTION("a client without a certificate is refused") {
        CHECK_FALSE(scrape(server.port(), nullptr));
    }
    server.stop();
}

TEST_CASE("mutual TLS admits a mid-rotation client chain against the old root",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    // Serving as worker1 (old root only), the client is manager1 presenting its new-key leaf and
    // the cross-signed intermediate: `openssl verify` says "self-signed certificate in
    // certificate chain"; the engine, and serve, accept it.
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    auto w1 = test::copy_node_dir("rotation-in-progress", "worker1", tmp / "w1");
    Logs logs;
    Server server(tls_options(w1, w1, captured_at("rotation-in-progress"), logs));
    server.start();
    auto manager = identity_of(m1);
    CHECK(scrape(server.port(), &manager) == 200);

    // Without its intermediate the new-key leaf does not reach the old root.
    ClientIdentity leaf_only;
    leaf_only.chain = {manager.chain[0]};
    leaf_only.key = std::move(manager.key);
    CHECK_FALSE(scrape(server.port(), &leaf_only));
    CHECK(logs.count_reaching("client certificate refused", 1) == 1);
    server.stop();
}

TEST_CASE("mutual TLS refuses a client certificate that expired at the server's clock",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto w1 = test::copy_node_dir("cert-expiry-1h", "worker1", tmp / "w1");
    Logs logs;
    Server server(tls_options(w1, w1, captured_at("cert-expiry-1h") + 3h, logs));
    server.start();
    auto worker = identity_of(w1);
    CHECK_FALSE(scrape(server.port(), &worker));
    CHECK(logs.count_reaching("client certificate refused", 1) == 1);
    server.stop();
}

TEST_CASE("serve loads an autolocked server key with the unlock key, and only with it",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("autolock", "manager1", tmp / "m1");
    auto w1 = test::copy_node_dir("autolock", "worker1", tmp / "w1");
    Logs logs;
    auto options = tls_options(m1, m1, captured_at("autolock"), logs);

    try {
        Server locked(options);
        FAIL("an autolocked key loaded without the unlock key");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find((m1 / "swarm-node.key").string() + ": ") == 0);
    }
    auto unlock = parse_unlock_key(scenario("autolock")["unlock_key"].get<std::string>());
    options.scan.unlock_key = std::make_shared<const SecretBytes>(std::move(unlock));
    Server server(options);
    server.start();
    auto worker = identity_of(w1);
    CHECK(scrape(server.port(), &worker) == 200);
    server.stop();
}

TEST_CASE("serve refuses a TLS key that does not match the certificate", "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("worker", "manager1", tmp / "m1");
    auto w1 = test::copy_node_dir("worker", "worker1", tmp / "w1");
    Logs logs;
    auto options = tls_options(m1, m1, captured_at("worker"), logs);
    options.tls->key_file = (w1 / "swarm-node.key").string();
    try {
        Server server(options);
        FAIL("a mismatched key was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == (w1 / "swarm-node.key").string() +
                                           ": the key does not match the certificate in " +
                                           (m1 / "swarm-node.crt").string() +
                                           " (give the key that belongs to that certificate)");
    }
}

TEST_CASE("serve's TLS 1.2 offers only ECDHE with AEAD ciphers; TLS 1.3 is unchanged", "[serve]") {
    test::TempDir tmp;
    auto w1 = test::simple_node(tmp / "w1", create_root({}, test::kNodeIssuedAt)).dir;
    Logs logs;
    auto options = test::loopback_serve_options({w1.string()}, test::kNodeIssuedAt + 1h, logs);
    options.tls = TlsSettings{(w1 / "swarm-node.crt").string(),
                              (w1 / "swarm-node.key").string(),
                              {}};
    Server server(options);
    server.start();
    auto status_with = [&](int version, const char* ciphers) {
        auto ctx = test::client_context();
        SSL_CTX_set_max_proto_version(ctx.get(), version);
        if (ciphers) REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), ciphers) == 1);
        return test::timed_scrape(server.port(), ctx.get()).status;
    };
    // The node key is ECDSA P-256: these are the CBC suites a TLS 1.2 client could ask for.
    CHECK(status_with(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA") == 0);
    CHECK(status_with(TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384") == 0);
    CHECK(status_with(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256") == 200);
    CHECK(status_with(TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384") == 200);
    CHECK(status_with(TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305") == 200);
    CHECK(status_with(TLS1_3_VERSION, nullptr) == 200);
    CHECK(logs.count_reaching("msg=\"tls handshake failed\" remote=127.0.0.1 error=", 2) == 2);
    server.stop();
}

TEST_CASE("serve reloads its certificate, key and client CA when a rotation replaces them",
          "[serve]") {
    test::TempDir tmp;
    // The served directory starts on one root; a rotation writes a new root and a leaf under
    // it (staged beside it, then renamed in, as the engine renames).
    RootCa old_root = create_root({}, test::kNodeIssuedAt);
    RootCa new_root = create_root({}, test::kNodeIssuedAt);
    auto served = test::simple_node(tmp / "served", old_root);
    auto staged = test::simple_node(tmp / "staged", new_root);
    auto old_client = identity_of(test::simple_node(tmp / "old-client", old_root).dir);
    auto new_client = identity_of(test::simple_node(tmp / "new-client", new_root).dir);
    auto old_ctx = test::client_context(&old_client);
    auto new_ctx = test::client_context(&new_client);
    Logs logs;
    auto options = test::loopback_serve_options({served.dir.string()}, test::kNodeIssuedAt + 1h,
                                                logs);
    options.tls = tls_from_node_directory(served.dir.string());
    Server server(options);
    server.start();

    auto before = test::timed_scrape(server.port(), old_ctx.get());
    CHECK(before.status == 200);
    CHECK(before.peer_serial == served.leaf.serial_hex());
    CHECK(test::timed_scrape(server.port(), new_ctx.get()).status == 0);

    for (const char* name : {"swarm-root-ca.crt", "swarm-node.key", "swarm-node.crt"})
        fs::rename(staged.dir / name, served.dir / name);
    server.rescan();
    CHECK(logs.count("level=info msg=\"tls material reloaded\" cert=" +
                     (served.dir / "swarm-node.crt").string()) == 1);
    auto after = test::timed_scrape(server.port(), new_ctx.get());
    CHECK(after.status == 200);
    CHECK(after.peer_serial == staged.leaf.serial_hex());
    CHECK(test::timed_scrape(server.port(), old_ctx.get()).status == 0);
    CHECK(logs.count_reaching("msg=\"client certificate refused\"", 2) ==
          2);  // new before, old after

    SECTION("broken new files leave the working material in place, reported once") {
        test::write_text(served.dir / "swarm-node.key", "not a key\n");
        server.rescan();
        server.rescan();
        CHECK(logs.count("level=error msg=\"tls material reload failed, serving the previous "
                         "material\" error=\"" +
                         (served.dir / "swarm-node.key").string()) == 1);
        CHECK(test::timed_scrape(server.port(), new_ctx.get()).status == 200);
        CHECK(logs.count_reaching("tls material reloaded", 1) == 1);
    }
    SECTION("an unchanged directory is not reloaded") {
        server.rescan();
        CHECK(logs.count_reaching("tls material", 1) == 1);
    }
    server.stop();
}

TEST_CASE("serve warns in its log when the TLS key file is readable by other users, and only then",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("worker", "manager1", tmp / "m1");
    std::string key = (m1 / "swarm-node.key").string();
    {
        Logs logs;
        Server server(tls_options(m1, m1, captured_at("worker"), logs));
        CHECK(logs.count("tls key readable by other users") == 0);  // the engine's 0600
    }
    ::chmod(key.c_str(), 0644);
    Logs logs;
    Server server(tls_options(m1, m1, captured_at("worker"), logs));
    CHECK(logs.count("level=warn msg=\"tls key readable by other users\" detail=\"" + key +
                     ": mode 0644 lets other users read this secret (chmod 600 " + key + ")\"") ==
          1);
}
