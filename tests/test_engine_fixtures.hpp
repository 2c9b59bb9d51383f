// The Engine API captures (../shared/fixtures/engine-api, next to the swarm fixtures, or
// $SWARMPKI_ENGINE_FIXTURES): real replies of a live engine, read as the tests' input.
#pragma once

#include "support.hpp"

#include "swarmpki/cluster.hpp"
#include "swarmpki/engine_reply.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace swarmpki::test {

inline std::optional<std::filesystem::path> engine_fixtures_dir() {
    namespace fs = std::filesystem;
    const char* given = std::getenv("SWARMPKI_ENGINE_FIXTURES");
    fs::path dir = given ? fs::path(given)
                         : (std::getenv("SWARMPKI_FIXTURES")
                                ? fs::path(std::getenv("SWARMPKI_FIXTURES"))
                                : fs::path(SWARMPKI_DEFAULT_FIXTURES))
                                   .parent_path() /
                               "engine-api";
    if (fs::exists(dir / "node_ids.txt")) return fs::weakly_canonical(dir);
    return std::nullopt;
}

inline void note_engine_fixtures_missing() {
    static bool said = false;
    if (!said) {
        WARN("Engine API captures not found (../shared/fixtures/engine-api or "
             "$SWARMPKI_ENGINE_FIXTURES): skipping the engine fixture group");
        said = true;
    }
}

// The scenarios whose manager1/ holds a full set of replies.
inline const char* const kEngineScenarios[] = {"healthy", "cert-expiry-changed", "rotation-blocked",
                                               "rotation-finished-after-rm"};

// The captured body `scenario/socket/name.json`; the test skips (with a note) when the
// captures are absent.
inline std::string engine_capture(const std::filesystem::path& dir, const std::string& scenario,
                                  const std::string& socket, const std::string& name) {
    return read_text(dir / scenario / socket / (name + ".json"));
}

// What build_cluster_report reads from a scenario's manager1 replies (/info, /swarm, /nodes, each
// required to parse), as the engine at unix:///var/run/docker.sock would give them, evaluated
// at `at`; no local leaf. `nodes_json` replaces the captured /nodes body when given (a scenario
// edited by the test).
inline ClusterInputs manager_capture_inputs(const std::filesystem::path& dir,
                                            const std::string& scenario, Instant at,
                                            const std::optional<std::string>& nodes_json = {}) {
    ClusterInputs in;
    in.engine = {"unix:///var/run/docker.sock", "1.41", "20.10.24+dfsg1"};
    auto info = parse_engine_info(engine_capture(dir, scenario, "manager1", "info"));
    auto swarm = parse_engine_swarm(engine_capture(dir, scenario, "manager1", "swarm"));
    auto nodes = parse_engine_nodes(
        nodes_json ? *nodes_json : engine_capture(dir, scenario, "manager1", "nodes"));
    REQUIRE(info.value);
    REQUIRE(swarm.value);
    REQUIRE(nodes.value);
    in.info = *info.value;
    in.swarm = *swarm.value;
    in.nodes = *nodes.value;
    in.at = at;
    return in;
}

}  // namespace swarmpki::test
