// README's examples are runnable and print what README says: every `$ swarmpki ...` line of
// README.md runs against a copy of the fixture it names (`manager1` is the real engine's
// rotation-in-progress manager), exits below 3, and every line of output README shows appears in
// what the command prints, except the lines that depend on today's date or on the machine ("in 90
// days", timings; a trailing "on 2 threads" is cut) and `...`, which README uses for lines it
// leaves out. `swarmpki cluster` runs against a fake engine serving the captured manager of a
// rotation blocked by a down worker (fixtures/engine-api/rotation-blocked), shown as the default
// socket.
#include "fake_engine.hpp"
#include "support.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using swarmpki::test::RunResult;

namespace {

struct ReadmeExample {
    std::string command;                // after "$ "
    std::vector<std::string> expected;  // the output lines README shows
};

std::vector<ReadmeExample> readme_examples(const std::string& readme) {
    std::vector<ReadmeExample> examples;
    std::istringstream in(readme);
    bool in_block = false;
    ReadmeExample* current = nullptr;  // output lines belong to the command above them
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("```", 0) == 0) {
            in_block = !in_block;
            current = nullptr;
            continue;
        }
        if (!in_block) continue;
        if (line.rfind("$ ", 0) == 0) {
            current = nullptr;
            if (line.rfind("$ swarmpki ", 0) == 0) current = &examples.emplace_back();
            if (current) current->command = line.substr(2);
        } else if (current && !line.empty()) {
            current->expected.push_back(line);
        }
    }
    return examples;
}

std::vector<std::string> words(const std::string& command) {
    std::vector<std::string> out;
    std::istringstream in(command);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// Lines whose text depends on when or where the example runs, not on the fixture.
bool depends_on_now_or_machine(const std::string& line) {
    static const std::regex volatile_text(
        R"((in|opens in|closed) \d+ (days?|years?|hours?|minutes?)|)"
        R"(\b(OK|WARNING|CRITICAL)\b|^\s*(ok|warning|critical)\s|real s|^\s*[a-z-]+\s+\d+\.\d+\s+\d+\.\d+)");
    return std::regex_search(line, volatile_text);
}

}  // namespace

TEST_CASE("every swarmpki example in README runs and prints the lines README shows",
          "[cli][readme]") {
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) {
        swarmpki::test::note_fixtures_missing();
        return;
    }
    const std::string readme = swarmpki::test::read_text(fs::path(SWARMPKI_SOURCE_DIR) /
                                                         "README.md");
    std::vector<ReadmeExample> examples = readme_examples(readme);
    REQUIRE(examples.size() >= 5);

    swarmpki::test::TempDir tmp;
    fs::rename(swarmpki::test::copy_node_dir("rotation-in-progress", "manager1", tmp.path()),
               tmp / "manager1");
    const std::string prefix = tmp.str() + "/";
    auto engine_captures = swarmpki::test::engine_fixtures_dir();
    swarmpki::test::FakeEngine engine;
    if (engine_captures) {
        // Its DockerRootDir is a copy of that manager's own directory, as on the real node.
        const fs::path capture = *engine_captures / "rotation-blocked";
        const fs::path certs = tmp / "engine-root/swarm/certificates";
        fs::create_directories(certs);
        for (const char* name : {"swarm-root-ca.crt", "swarm-node.crt", "swarm-node.key"}) {
            fs::copy_file(capture / "certificates/manager1" / name, certs / name);
            fs::permissions(certs / name, std::string(name) == "swarm-node.key"
                                              ? fs::perms::owner_read | fs::perms::owner_write
                                              : fs::perms::owner_read | fs::perms::owner_write |
                                                    fs::perms::group_read | fs::perms::others_read);
        }
        engine.load_capture(capture / "manager1");
        auto info = nlohmann::json::parse(
            swarmpki::test::read_text(capture / "manager1/info.json"));
        info["DockerRootDir"] = (tmp / "engine-root").string();
        engine.set("/info",
                   swarmpki::test::json_reply(200, info.dump(), swarmpki::test::Framing::chunked));
    }
    std::size_t compared = 0;
    for (const ReadmeExample& example : examples) {
        std::vector<std::string> args = words(example.command);
        args.erase(args.begin());  // "swarmpki"
        const bool asks_engine = args.at(0) == "cluster";
        if (asks_engine && !engine_captures) {
            swarmpki::test::note_engine_fixtures_missing();
            continue;
        }
        for (std::string& a : args)
            if (a == "manager1") a = prefix + a;
        RunResult r = swarmpki::test::run_swarmpki(
            args, "", {asks_engine ? "DOCKER_HOST=" + engine.url() : std::string("DOCKER_HOST")});
        std::string out = std::regex_replace(r.out, std::regex(prefix), "");
        out = std::regex_replace(out, std::regex(engine.url()), "unix:///var/run/docker.sock");
        INFO(example.command << "\n--- stdout:\n" << out << "--- stderr:\n" << r.err);
        CHECK(r.exit_code >= 0);
        CHECK(r.exit_code < 3);
        for (const std::string& line : example.expected) {
            if (line == "..." || depends_on_now_or_machine(line)) continue;
            std::string shown = line;
            // The counts are the fixture's; how many threads computed them is the machine's.
            static const std::regex threads(R"( on \d+ threads?$)");
            shown = std::regex_replace(shown, threads, "");
            bool cut = shown.size() > 3 && shown.compare(shown.size() - 3, 3, "...") == 0;
            if (cut) shown.resize(shown.size() - 3);
            INFO("README line: " << line);
            CHECK(out.find(shown) != std::string::npos);
            ++compared;
        }
    }
    CHECK(compared >= 15);  // the examples show more than what depends on the day
}
