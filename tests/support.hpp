// Shared test helpers: running the command, temporary directories, and the real-engine fixtures.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki::test {

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const;  // parses `out`; fails the test if it is not one JSON document
};

// Runs the built `swarmpki` binary with `args`; `input` goes to its standard input.
// `env` entries are "NAME=value" added to the environment.
RunResult run_swarmpki(const std::vector<std::string>& args, const std::string& input = {},
                       const std::vector<std::string>& env = {});
// The same for another program (a copy of the binary, the swarmpki-serve helper).
RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& input = {}, const std::vector<std::string>& env = {});

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// ../shared/fixtures/swarm (or $SWARMPKI_FIXTURES); nullopt when absent, so groups can skip.
std::optional<std::filesystem::path> fixtures_dir();
// Prints once why the fixture group is skipped.
void note_fixtures_missing();
nlohmann::json load_json(const std::filesystem::path& file);
std::string read_text(const std::filesystem::path& file);
void write_text(const std::filesystem::path& file, const std::string& content);

// Copies a fixture node directory and restores the engine's file modes from truth.json
// (git keeps no modes): swarm-root-ca.crt 0644, swarm-node.crt 0644, swarm-node.key 0600.
// A scenario's entry in the fixtures' index.json (fails the test when there is none), and its
// capture time as RFC 3339 text, the `--at` that makes the fixture's facts current.
nlohmann::json fixture_scenario(const std::string& name);
std::string fixture_captured_at(const std::string& name);

std::filesystem::path copy_node_dir(const std::string& scenario, const std::string& node,
                                    const std::filesystem::path& into);

}  // namespace swarmpki::test
