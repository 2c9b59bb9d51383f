// Help that can be trusted: every command and subcommand prints its help the way the top level
// does (stdout and exit 0 when asked, stderr and exit 64 when a subcommand is missing), has
// EXAMPLES and EXIT CODES, fits the width, and points a usage error at its own --help. And every
// EXAMPLES line of every --help, of both binaries, runs as written.
//
// The examples are written for an operator on a node, so they run here in a sandbox that looks
// like one: each absolute path in an example is taken under a scratch root holding copies of the
// real engine's fixture directories (/var/lib/docker/swarm/certificates is the
// join-token-rotated scenario's manager1, /srv/collected, /srv/node1 and /srv/node2 hold its
// manager1 and worker1), `docker swarm join-token -q worker|manager` is a stub printing that
// swarm's current tokens, and each help page's examples run in order in an empty directory of
// their own (so `ca init --out ./root` may prepare what the next line issues from). An example
// must exit below 3: it evaluated something (0 ok, 1 warning, 2 critical); 3 or 64 means the
// example itself is broken. The lines that cannot run here are skipped by a rule that says why.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

using swarmpki::test::run_program;
using swarmpki::test::run_swarmpki;
using swarmpki::test::RunResult;
using swarmpki::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A help page: the binary and the arguments before --help.
struct Page {
    std::string binary;
    std::vector<std::string> command;
    std::string name() const {
        std::string n = fs::path(binary).filename().string();
        for (const std::string& word : command) n += " " + word;
        return n;
    }
};

fs::path helper_binary() { return fs::path(SWARMPKI_BINARY).parent_path() / "swarmpki-serve"; }

RunResult help_of(const Page& page) {
    std::vector<std::string> args = page.command;
    args.push_back("--help");
    return run_program(page.binary, args);
}

// The names listed under `heading` ("commands:", "subcommands:"): "  name   summary" lines up to
// the next blank line.
std::vector<std::string> listed(const std::string& help, const std::string& heading) {
    std::vector<std::string> names;
    std::size_t at = help.find("\n" + heading + "\n");
    if (at == std::string::npos) return names;
    std::istringstream lines(help.substr(at + heading.size() + 2));
    for (std::string line; std::getline(lines, line) && !line.empty();)
        names.push_back(line.substr(2, line.find(' ', 2) - 2));
    return names;
}

// Every help page: the top level's commands, each group's subcommands, and the helper binary's
// own two commands (which `swarmpki serve|notify` exec).
std::vector<Page> all_pages() {
    std::vector<Page> pages;
    std::string top = run_swarmpki({"--help"}).out;
    std::vector<std::string> commands = listed(top, "commands:");
    REQUIRE(commands.size() >= 8);
    for (const std::string& command : commands) {
        Page page{SWARMPKI_BINARY, {command}};
        pages.push_back(page);
        for (const std::string& sub : listed(help_of(page).out, "subcommands:"))
            pages.push_back({SWARMPKI_BINARY, {command, sub}});
    }
    for (const char* command : {"serve", "notify"})
        pages.push_back({helper_binary().string(), {command}});
    return pages;
}

std::string section(const std::string& help, const std::string& name, const std::string& next) {
    std::size_t start = help.find("\n" + name + "\n");
    if (start == std::string::npos) return {};
    start += name.size() + 2;
    std::size_t end = next.empty() ? help.size() : help.find("\n\n" + next + "\n", start);
    return help.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// One example a line starting with two spaces; deeper-indented lines continue it.
std::vector<std::string> examples_of(const std::string& help) {
    std::vector<std::string> examples;
    std::istringstream lines(section(help, "EXAMPLES", "EXIT CODES"));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("    ", 0) == 0 && !examples.empty()) examples.back() += "\n" + line;
        else if (line.rfind("  ", 0) == 0) examples.push_back(line.substr(2));
    }
    return examples;
}

// Why an example cannot run here, or nullopt when it runs.
std::optional<std::string> why_skipped(const std::string& example) {
    if (example.find("swarmpki serve") != std::string::npos)
        return "starts a server that runs until SIGTERM (test_cli_serve runs serve on loopback)";
    if (example.find("swarmpki notify") != std::string::npos)
        return "posts to a webhook receiver that does not exist here (test_webhook_cli posts to "
               "a loopback one)";
    if (example.find("swarmpki cluster") != std::string::npos)
        return "asks a manager's engine, which this machine does not run (test_cli_cluster runs "
               "cluster against a fake engine, tests/integration/test_cluster.sh against dockerd)";
    if (example.find("swarmpki rotate status") != std::string::npos)
        return "asks a manager's engine (test_cli_rotate_status runs it against a fake engine, "
               "tests/integration/test_rotation.sh against dockerd)";
    // `inspect` with no directory reads the engine's own, which no path rewriting can reach.
    static const std::regex inspect_default(R"(swarmpki inspect((?! --dir| /| \.)[^|;\n])*$)");
    if (std::regex_search(example, inspect_default))
        return "reads the engine's default directory, /var/lib/docker/swarm/certificates, and "
               "this machine runs no swarm";
    return std::nullopt;
}

class Sandbox {
public:
    explicit Sandbox(const fs::path& fixtures) {
        const std::string scenario = "join-token-rotated";
        place(scenario, "manager1", "var/lib/docker/swarm/certificates");
        place(scenario, "manager1", "srv/collected/manager1");
        place(scenario, "worker1", "srv/collected/worker1");
        place(scenario, "manager1", "srv/node1/certificates");
        place(scenario, "worker1", "srv/node2/certificates");
        fs::create_directories(root() / "var/lib/node_exporter/textfile");
        fs::create_directories(root() / "work");
        fs::create_directories(root() / "bin");
        fs::create_symlink(SWARMPKI_BINARY, root() / "bin/swarmpki");
        auto tokens = swarmpki::test::load_json(fixtures / scenario / "truth.json")["join_tokens"];
        swarmpki::test::write_text(
            root() / "bin/docker",
            "#!/bin/sh\n"
            "case \"$*\" in\n"
            "  'swarm join-token -q worker') echo " +
                tokens["worker"].get<std::string>() +
                " ;;\n"
                "  'swarm join-token -q manager') echo " +
                tokens["manager"].get<std::string>() +
                " ;;\n"
                "  *) echo \"docker stub: '$*' is not simulated\" >&2; exit 1 ;;\n"
                "esac\n");
        ::chmod((root() / "bin/docker").c_str(), 0755);
    }
    const fs::path& root() const { return dir_.path(); }

    // The example with its absolute paths under the sandbox (/dev/ stays the system's).
    std::string rewritten(const std::string& example) const {
        static const std::regex absolute(R"((^|[\s'"=<>(])/(?!dev/))");
        return std::regex_replace(example, absolute, "$1" + root().string() + "/");
    }

    RunResult run(const std::string& example) const {
        const char* path = std::getenv("PATH");
        std::string script = "cd '" + (root() / "work").string() + "' && " + rewritten(example);
        return run_program("/bin/bash", {"-c", script}, "",
                           {"PATH=" + (root() / "bin").string() + ":" + (path ? path : "/usr/bin"),
                            "NO_COLOR=1"});
    }

private:
    void place(const std::string& scenario, const std::string& node, const std::string& at) {
        fs::path target = root() / at;
        fs::create_directories(target.parent_path());
        fs::rename(swarmpki::test::copy_node_dir(scenario, node, root()), target);
    }

    TempDir dir_;
};

bool has_line_longer_than(const std::string& text, std::size_t width) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > width) return true;
    return false;
}

}  // namespace

TEST_CASE("token, ca and rotate print help as the top level does: stream and exit code",
          "[cli][help]") {
    RunResult top = run_swarmpki({"--help"});
    REQUIRE(top.exit_code == 0);
    CHECK(top.err.empty());
    RunResult bare = run_swarmpki({});
    CHECK(bare.exit_code == 64);
    CHECK(bare.out.empty());
    CHECK(bare.err == top.out);  // the same text, on stderr

    for (const char* group : {"token", "ca", "rotate"}) {
        INFO(group);
        RunResult asked = run_swarmpki({group, "--help"});
        CHECK(asked.exit_code == 0);
        CHECK(asked.err.empty());
        CHECK(asked.out.rfind(std::string("usage: swarmpki ") + group + " ", 0) == 0);
        CHECK(run_swarmpki({group, "-h"}).out == asked.out);
        CHECK(run_swarmpki({group, "help"}).out == asked.out);
        RunResult missing = run_swarmpki({group});
        CHECK(missing.exit_code == 64);
        CHECK(missing.out.empty());
        CHECK(missing.err == asked.out);
        for (const std::string& sub : listed(asked.out, "subcommands:")) {
            RunResult help = run_swarmpki({group, sub, "--help"});
            INFO(sub);
            CHECK(help.exit_code == 0);
            CHECK(help.err.empty());
            CHECK(help.out.rfind(std::string("usage: swarmpki ") + group + " " + sub, 0) == 0);
            CHECK(run_swarmpki({group, sub, "-h"}).out == help.out);
        }
    }
    CHECK(listed(run_swarmpki({"token", "--help"}).out, "subcommands:") ==
          std::vector<std::string>{"decode", "verify", "generate"});
    CHECK(listed(run_swarmpki({"ca", "--help"}).out, "subcommands:") ==
          std::vector<std::string>{"init", "issue", "cross-sign"});
    CHECK(listed(run_swarmpki({"rotate", "--help"}).out, "subcommands:") ==
          std::vector<std::string>({"simulate", "status"}));
}

TEST_CASE("a usage error points at the --help of the subcommand it happened in", "[cli][help]") {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const std::vector<Case> cases = {
        {{"token", "decode", "--format", "yaml", "x"},
         "swarmpki token decode: --format must be one of text|json|jsonl, not 'yaml' (see "
         "swarmpki token decode --help)\n"},
        {{"token", "verify", "--ca", "a", "--dir", "b", "-"},
         "swarmpki token verify: give --ca or --dir, not both (see swarmpki token verify "
         "--help)\n"},
        {{"ca", "issue", "--ca", "x", "--out", "y"},
         "swarmpki ca issue: --role is required (see swarmpki ca issue --help)\n"},
        {{"ca", "init", "--no-such-flag"},
         "swarmpki ca init: unrecognised option '--no-such-flag' (see swarmpki ca init --help)\n"},
        {{"rotate", "simulate", "--ca-cert", "new.crt"},
         "swarmpki rotate simulate: --ca-cert needs --ca-key: the simulated engine signs with the "
         "new root's key (see swarmpki rotate simulate --help)\n"},
        // A word that is no subcommand is the group's business, and is never echoed.
        {{"ca", "inti"},
         "swarmpki ca: unknown subcommand (expected init, issue or cross-sign) (see swarmpki ca "
         "--help)\n"},
        {{"rotate", "simlate"},
         "swarmpki rotate: unknown subcommand (expected simulate or status) (see swarmpki rotate "
         "--help)\n"},
    };
    for (const Case& c : cases) {
        RunResult r = run_swarmpki(c.args);
        INFO(c.args[0] << " " << c.args[1]);
        CHECK(r.exit_code == 64);
        CHECK(r.out.empty());
        CHECK(r.err == c.err);
    }
}

TEST_CASE("every help page has EXAMPLES and EXIT CODES and fits 92 columns but its examples",
          "[cli][help]") {
    for (const Page& page : all_pages()) {
        RunResult help = help_of(page);
        INFO(page.name());
        CHECK(help.exit_code == 0);
        CHECK_FALSE(examples_of(help.out).empty());
        CHECK_FALSE(section(help.out, "EXIT CODES", "").empty());
        // The usage line and the description: everything before the option list or commands.
        std::size_t body_end = std::min(help.out.find("\n\n", help.out.find("\n\n") + 2),
                                        help.out.find("\nEXAMPLES\n"));
        CHECK_FALSE(has_line_longer_than(help.out.substr(0, body_end), 92));
    }
}

TEST_CASE("--at says what it means: ca and rotate simulate issue certificates as of it",
          "[cli][help]") {
    for (const char* sub : {"init", "issue", "cross-sign"})
        CHECK_THAT(run_swarmpki({"ca", sub, "--help"}).out,
                   Catch::Matchers::Contains("issue as of this RFC 3339 instant instead of now"));
    CHECK_THAT(run_swarmpki({"rotate", "simulate", "--help"}).out,
               Catch::Matchers::Contains("run the rotation as of this RFC 3339 instant"));
    CHECK_THAT(run_swarmpki({"token", "verify", "--help"}).out,
               Catch::Matchers::Contains("evaluate as of this RFC 3339 instant"));
}

TEST_CASE("no help text or error mentions a flag swarmpki does not have", "[cli][help]") {
    RunResult r = run_swarmpki({"rotate", "simulate", "--ca-cert", "new.crt"});
    CHECK(r.exit_code == 64);
    CHECK(r.err.find("--external-ca") == std::string::npos);
    for (const Page& page : all_pages())
        CHECK(help_of(page).out.find("--external-ca") == std::string::npos);
}

TEST_CASE("every EXAMPLES line of every --help runs as written and evaluates", "[cli][help]") {
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) return swarmpki::test::note_fixtures_missing();
    std::size_t ran = 0;
    std::set<std::string> skipped;
    for (const Page& page : all_pages()) {
        Sandbox sandbox(*fixtures);
        for (const std::string& example : examples_of(help_of(page).out)) {
            INFO(page.name() << " --help example:\n  " << example);
            CHECK(example.find("...") == std::string::npos);  // nothing elided
            CHECK(example.find("\xe2\x80\xa6") == std::string::npos);
            if (auto reason = why_skipped(example)) {
                skipped.insert(example + "\n    skipped: " + *reason);
                continue;
            }
            RunResult r = sandbox.run(example);
            INFO("exit " << r.exit_code << "\nstderr: " << r.err);
            CHECK(r.exit_code >= 0);
            CHECK(r.exit_code < 3);
            ++ran;
        }
    }
    CHECK(ran >= 30);
    std::string list;
    for (const std::string& s : skipped) list += "\n  " + s;
    WARN("help examples: " << ran << " ran, " << skipped.size() << " skipped:" << list);
}

TEST_CASE("the man page renders '%' as a percent sign and says which commands refuse json",
          "[cli][help]") {
    const fs::path source = SWARMPKI_SOURCE_DIR;
    const std::string man = swarmpki::test::read_text(source / "docs" / "swarmpki.1");
    CHECK(man.find("\\(pc") == std::string::npos);  // groff's middle dot, not a percent sign
    if (::access("/usr/bin/groff", X_OK) == 0) {
        RunResult page = run_program("/usr/bin/groff", {"-man", "-Tutf8", "-P-cbou",
                                                        (source / "docs" / "swarmpki.1").string()});
        CHECK(page.exit_code == 0);
        CHECK_THAT(page.out, Catch::Matchers::Contains("(50\xe2\x80\x93"
                                                       "80%"));
        CHECK(page.out.find("\xc2\xb7") == std::string::npos);
    }
    // serve and notify write logs and HTTP, not documents: they refuse --format json, and the
    // man page and README say so instead of promising json from every command.
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"serve", "--format", "json", "--dir", "x"},
                                               {"notify", "--format", "json", "--test"}}) {
        RunResult r = run_swarmpki(args);
        INFO(args[0] << ": " << r.err);
        CHECK(r.exit_code == 64);
        CHECK_THAT(r.err, Catch::Matchers::Contains("--format must be one of text, not 'json'"));
    }
    CHECK_THAT(man, Catch::Matchers::Contains(".SH COMMON OPTIONS\nEvery command accepts these, "
                                              "except that\n.B serve\nand\n.B notify\ntake only\n"
                                              ".B \\-\\-format text"));
    const std::string readme = swarmpki::test::read_text(source / "README.md");
    CHECK(readme.find("Every command takes `--format json`") == std::string::npos);
}
