// Shared test helpers: running the command, temporary directories, and the real-engine fixtures.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

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
// The same for another program (a copy of the binary, the swarmpki-serve helper). A run that
// has not finished after kRunDeadline is killed (its whole process group) and fails the test by
// its command line, so one stuck child cannot stall a ctest group until its timeout.
RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& input = {}, const std::vector<std::string>& env = {});
inline constexpr int kRunDeadlineSeconds = 240;

// Where a spawned child's standard streams go; -1 keeps the test process's own.
struct ChildStreams {
    int in = -1, out = -1, err = -1;
};
// Starts `binary` (argv[0] = binary) in its own process group with default signal handling and
// no descriptors but its three streams; `env` entries "NAME=value" replace or add to the
// environment, a bare "NAME" removes it. Everything the child needs is built before fork(): in a
// threaded test process a child may only make async-signal-safe calls until exec, because a lock
// another thread held at fork() (ASan's allocator, say) is never released in the child.
// `die_with_parent` sends the child SIGTERM if the test binary dies first. Returns its PID.
pid_t spawn_program(const std::string& binary, const std::vector<std::string>& args,
                    const std::vector<std::string>& env, ChildStreams streams,
                    bool die_with_parent = false);

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
