// `swarmpki inspect --format json` against the real engine: for every node directory of every
// scenario in ../shared/fixtures/swarm, evaluated at the scenario's capture time, the report
// agrees with index.json (engine facts, and facts parsed from the files with another library).
#include "support.hpp"

#include "swarmpki/encoding.hpp"
#include "swarmpki/join_token.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string role_from_ou(const std::string& ou) {
    return ou == "swarm-manager" ? "manager" : ou == "swarm-worker" ? "worker" : "";
}

std::string base36_of_hex(const std::string& hex) {
    auto bytes = hex_decode(hex);
    REQUIRE(bytes);
    REQUIRE(bytes->size() == 32);
    Sha256 digest{};
    std::copy(bytes->begin(), bytes->end(), digest.begin());
    return digest_to_base36(digest);
}

// The rotation state the fixtures imply, from parsed keys (not from our code): a bundled
// cross-signed certificate with the trust root's key means completed, with another key in progress.
std::string expected_rotation(const json& node) {
    if (!node["has_cross_signed_intermediate"].get<bool>()) return "none";
    return node["intermediate"]["same_key_as_root_file"].get<bool>() ? "completed" : "in-progress";
}

// Which unlock key (if any) decrypts this node's key, by the index's field name.
std::optional<std::string> unlock_key_for(const json& scenario, const json& node) {
    if (!node["key_decrypts_with"].is_array() || node["key_decrypts_with"].empty())
        return std::nullopt;
    return scenario[node["key_decrypts_with"][0].get<std::string>()].get<std::string>();
}

// Any unlock key the scenario records (to run unencrypted nodes with one too).
std::optional<std::string> any_unlock_key(const json& scenario) {
    for (const char* field : {"unlock_key", "new_unlock_key", "current_unlock_key"})
        if (scenario.contains(field) && scenario[field].is_string())
            return scenario[field].get<std::string>();
    return std::nullopt;
}

// Secrets in a node directory that must never reach any output: the raft DEK header value and
// the key's base64 body.
std::vector<std::string> secrets_of(const fs::path& dir) {
    std::vector<std::string> secrets;
    std::string key = read_text(dir / "swarm-node.key");
    std::size_t dek = key.find("raft-dek: ");
    if (dek != std::string::npos) {
        std::size_t end = key.find('\n', dek);
        secrets.push_back(key.substr(dek + 10, end - dek - 10));
    }
    std::size_t body = key.find("\n\n");
    REQUIRE(body != std::string::npos);
    std::size_t pos = body + 2;
    while (pos < key.size() && key.compare(pos, 5, "-----") != 0) {
        std::size_t end = key.find('\n', pos);
        secrets.push_back(key.substr(pos, end - pos));
        pos = end + 1;
    }
    return secrets;
}

void check_node(const json& scenario, const std::string& name, const json& expected,
                const json& report, std::optional<std::string> unlock_key) {
    const json& node = report["nodes"][0];
    CHECK(node["status"] != "unknown");
    CHECK(node["error"].is_null());
    const json& id = node["node"];
    std::string expected_id = expected["node_id"].is_string()
                                  ? expected["node_id"].get<std::string>()
                                  : expected["leaf_cn"].get<std::string>();
    CHECK(id["id"] == expected_id);
    CHECK(id["id"] == expected["leaf_cn"]);
    // A locked manager has no role from the engine: the leaf's OU still says it.
    std::string role = expected["node_role"].is_string() ? expected["node_role"].get<std::string>()
                                                         : role_from_ou(expected["leaf_ou"]);
    CHECK(id["role"] == role);
    std::string cluster = scenario["cluster_id"].is_string()
                              ? scenario["cluster_id"].get<std::string>()
                              : expected["leaf_o"].get<std::string>();
    CHECK(id["cluster_id"] == cluster);
    CHECK(id["sans"] == expected["leaf_san"]);
    CHECK(id["not_before"] == expected["not_before"]);
    CHECK(id["not_after"] == expected["not_after"]);
    CHECK(id["lifetime_seconds"] == expected["leaf_lifetime_seconds"]);
    CHECK(id["issuer"] == expected["leaf_issuer"]);

    CHECK(node["root_file_sha256"] == expected["root_ca_sha256"]);
    CHECK(node["root_file_sha256"] == expected["files"]["swarm-root-ca.crt"]["sha256"]);
    if (scenario["expected_token_digest_hex"].is_string() &&
        expected["root_ca_sha256"] == scenario["expected_token_digest_hex"])
        CHECK(node["join_token_digest"] == scenario["expected_token_digest_base36"]);
    CHECK(node["join_token_digest"] == base36_of_hex(expected["root_ca_sha256"]));
    REQUIRE(node["trust_roots"].size() == expected["root_ca_cert_count"].get<std::size_t>());
    CHECK(node["trust_roots"][0]["subject"] == expected["root_ca_subject"]);

    REQUIRE(node["chain"].size() == expected["node_cert_count"].get<std::size_t>());
    CHECK(node["chain"][0]["kind"] == "leaf");
    if (expected["has_cross_signed_intermediate"].get<bool>()) {
        CHECK(node["chain"][1]["kind"] == "cross-signed-intermediate");
        CHECK(node["chain"][1]["public_key_sha256"] ==
              expected["intermediate"]["public_key_spki_sha256"]);
    }
    CHECK(node["chain_verified"] == expected["leaf_chains_to_root_file"]);
    CHECK(node["rotation"]["state"] == expected_rotation(expected));
    if (expected_rotation(expected) == "in-progress")
        CHECK(id["issuer_public_key_sha256"] == expected["intermediate"]["public_key_spki_sha256"]);
    if (scenario["root_rotation_in_progress"] == true && name == "manager1")
        CHECK(node["rotation"]["state"] == "in-progress");

    const json& key = node["key"];
    CHECK(key["present"] == true);
    CHECK(key["encrypted"] == expected["key_encrypted"]);
    CHECK(key["pem_headers"] == expected["key_pem_headers"]);
    CHECK(key["kek_version"] == expected["key_kek_version"]);
    CHECK(key["mode"] == expected["files"]["swarm-node.key"]["mode"]);
    if (expected["key_encrypted"].get<bool>() && !unlock_key)
        CHECK(key["matches_certificate"].is_null());
    else CHECK(key["matches_certificate"] == expected["key_matches_leaf_public_key"]);
}

}  // namespace

TEST_CASE("inspect agrees with the real engine on every fixture node directory",
          "[conformance][inspect]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) return note_fixtures_missing();
    TempDir tmp;
    auto index = load_json(*fixtures / "index.json");
    std::size_t directories = 0;
    for (const json& scenario : index["scenarios"]) {
        std::string at = scenario["captured_at"];
        for (const auto& [name, expected] : scenario["nodes"].items()) {
            std::string label = scenario["scenario"].get<std::string>() + "/" + name;
            fs::path dir = copy_node_dir(scenario["scenario"], name, tmp.path());
            std::vector<std::string> secrets = secrets_of(dir);
            ++directories;
            {
                INFO(label << " without an unlock key");
                RunResult run = run_swarmpki(
                    {"inspect", "--format", "json", "--dir", dir.string(), "--at", at});
                INFO(run.err);
                CHECK(run.exit_code <= 1);
                CHECK(run.err.empty());
                check_node(scenario, name, expected, run.json(), std::nullopt);
                for (const std::string& secret : secrets)
                    CHECK(run.out.find(secret) == std::string::npos);
            }
            std::optional<std::string> key = unlock_key_for(scenario, expected);
            if (!key) key = any_unlock_key(scenario);
            if (key) {
                INFO(label << " with the scenario's unlock key");
                RunResult run = run_swarmpki({"inspect", "--format", "json", "--dir", dir.string(),
                                              "--at", at},
                                             {}, {"SWARMPKI_UNLOCK_KEY=" + *key});
                INFO(run.err);
                CHECK(run.exit_code <= 1);
                check_node(scenario, name, expected, run.json(), key);
                CHECK(run.out.find(*key) == std::string::npos);
                CHECK(run.out.find(key->substr(9)) == std::string::npos);
                for (const std::string& secret : secrets)
                    CHECK(run.out.find(secret) == std::string::npos);
                RunResult text = run_swarmpki({"inspect", "--dir", dir.string(), "--at", at}, {},
                                              {"SWARMPKI_UNLOCK_KEY=" + *key});
                CHECK(text.out.find(key->substr(9)) == std::string::npos);
                for (const std::string& secret : secrets)
                    CHECK(text.out.find(secret) == std::string::npos);
            }
        }
    }
    CHECK(directories == 23);
}

TEST_CASE("inspect --token says whether each fixture token pins each node's root",
          "[conformance][inspect]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) return note_fixtures_missing();
    TempDir tmp;
    auto index = load_json(*fixtures / "index.json");
    for (const json& scenario : index["scenarios"]) {
        if (!scenario["join_tokens"].is_object())
            continue;  // the locked manager could not be asked
        std::string token = scenario["join_tokens"]["worker"];
        std::string secret = token.substr(token.size() - 25);
        for (const auto& [name, expected] : scenario["nodes"].items()) {
            INFO(scenario["scenario"].get<std::string>() << "/" << name);
            fs::path dir = copy_node_dir(scenario["scenario"], name, tmp.path());
            RunResult run = run_swarmpki({"inspect", "--format", "json", "--dir", dir.string(),
                                          "--at", scenario["captured_at"], "--token", token});
            bool pins = expected["root_ca_sha256"] == scenario["expected_token_digest_hex"];
            auto doc = run.json();
            CHECK(doc["nodes"][0]["token"]["pins_root"] == pins);
            CHECK(doc["nodes"][0]["token"]["digest_base36"] ==
                  scenario["expected_token_digest_base36"]);
            CHECK(run.exit_code == (pins ? 0 : 2));
            CHECK(run.out.find(secret) == std::string::npos);
            CHECK(run.err.find(secret) == std::string::npos);
        }
    }
    // The token from before the rotation no longer pins the rotated nodes' root.
    auto truth = load_json(*fixtures / "rotation-complete" / "truth.json");
    fs::path dir = copy_node_dir("rotation-complete", "worker1", tmp.path() / "old-token");
    RunResult run = run_swarmpki({"inspect", "--format", "json", "--dir", dir.string(), "--at",
                                  "2026-11-28T22:55:28Z", "--token",
                                  truth["scenario_facts"]["pre_rotation_worker_token"]});
    CHECK(run.exit_code == 2);
    CHECK(run.json()["nodes"][0]["token"]["pins_root"] == false);
}

TEST_CASE("inspect over a scenario's directories gives one report each and a fleet summary",
          "[conformance][inspect]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) return note_fixtures_missing();
    TempDir tmp;
    fs::path manager = copy_node_dir("rotation-in-progress", "manager1", tmp.path());
    fs::path worker = copy_node_dir("rotation-in-progress", "worker1", tmp.path());
    fs::path rotated = copy_node_dir("rotation-complete", "worker1", tmp.path());
    RunResult run = run_swarmpki({"inspect", "--format", "json", "--dir", manager.string(), "--dir",
                                  worker.string(), "--dir", rotated.string(), "--at",
                                  "2026-11-28T22:55:28Z"});
    auto doc = run.json();
    REQUIRE(doc["nodes"].size() == 3);
    CHECK(doc["nodes"][0]["rotation"]["state"] == "in-progress");
    CHECK(doc["nodes"][1]["rotation"]["state"] == "none");
    CHECK(doc["nodes"][2]["rotation"]["state"] == "completed");
    const json& fleet = doc["fleet"];
    CHECK(fleet["nodes"] == 3);
    CHECK(fleet["cluster_ids"] == json({"45dwjg326020dkgqtum4kdw4o"}));
    CHECK(fleet["root_file_sha256s"].size() == 2);
    CHECK(fleet["rotation_states"] == json({{"none", 1}, {"in-progress", 1}, {"completed", 1}}));
    CHECK(fleet["findings"][0]["code"] == "fleet-trust-roots-differ");
    CHECK(doc["status"] == "warning");
    CHECK(run.exit_code == 1);
}
