// The Engine API captures (../shared/fixtures/engine-api, next to the swarm fixtures, or
// $SWARMPKI_ENGINE_FIXTURES): real replies of a live engine, read as the tests' input.
#pragma once

#include "support.hpp"

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

}  // namespace swarmpki::test
