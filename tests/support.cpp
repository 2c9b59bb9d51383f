#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace swarmpki::test {

namespace fs = std::filesystem;

nlohmann::json RunResult::json() const {
    INFO("stdout: " << out << "\nstderr: " << err);
    auto doc = nlohmann::json::parse(out, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    return doc;
}

namespace {
std::string drain(int fd) {
    std::string data;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) data.append(buffer, static_cast<size_t>(n));
    return data;
}
}  // namespace

RunResult run_swarmpki(const std::vector<std::string>& args, const std::string& input,
                       const std::vector<std::string>& env) {
    return run_program(SWARMPKI_BINARY, args, input, env);
}

RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& input, const std::vector<std::string>& env) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    REQUIRE(::pipe(in_pipe) == 0);
    REQUIRE(::pipe(out_pipe) == 0);
    REQUIRE(::pipe(err_pipe) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
            ::close(fd);
        for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> argv;
        std::string program = binary;
        argv.push_back(program.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    std::thread writer([&] {
        const char* p = input.data();
        size_t left = input.size();
        while (left > 0) {
            ssize_t n = ::write(in_pipe[1], p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<size_t>(n);
        }
        ::close(in_pipe[1]);
    });
    RunResult result;
    std::thread err_reader([&] { result.err = drain(err_pipe[0]); });
    result.out = drain(out_pipe[0]);
    err_reader.join();
    writer.join();
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

TempDir::TempDir() {
    std::random_device random;
    path_ = fs::temp_directory_path() / ("swarmpki-test-" + std::to_string(random()));
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    // Tests may make files unreadable; give them back before removing.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_symlink()) ::chmod(it->path().c_str(), 0755);
    }
    fs::remove_all(path_, ec);
}

std::optional<fs::path> fixtures_dir() {
    fs::path dir = std::getenv("SWARMPKI_FIXTURES") ? std::getenv("SWARMPKI_FIXTURES")
                                                    : SWARMPKI_DEFAULT_FIXTURES;
    if (fs::exists(dir / "index.json")) return fs::weakly_canonical(dir);
    return std::nullopt;
}

void note_fixtures_missing() {
    static bool said = false;
    if (!said) {
        WARN("real-engine fixtures not found (../shared/fixtures/swarm or $SWARMPKI_FIXTURES): "
             "skipping the fixture group");
        said = true;
    }
}

nlohmann::json load_json(const fs::path& file) { return nlohmann::json::parse(read_text(file)); }

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_text(const fs::path& file, const std::string& content) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
}

nlohmann::json fixture_scenario(const std::string& name) {
    auto index = load_json(*fixtures_dir() / "index.json");
    for (auto& s : index["scenarios"])
        if (s["scenario"] == name) return s;
    FAIL("no scenario " << name << " in the fixtures' index.json");
    return {};
}

std::string fixture_captured_at(const std::string& name) {
    return fixture_scenario(name)["captured_at"].get<std::string>();
}

fs::path copy_node_dir(const std::string& scenario, const std::string& node, const fs::path& into) {
    auto fixtures = fixtures_dir();
    REQUIRE(fixtures);
    fs::path source = *fixtures / scenario / "certificates" / node;
    fs::path target = into / (scenario + "-" + node);
    fs::create_directories(target);
    ::chmod(target.c_str(), 0755);
    auto truth = load_json(*fixtures / scenario / "truth.json");
    for (const auto& entry : fs::directory_iterator(source)) {
        fs::path dest = target / entry.path().filename();
        fs::copy_file(entry.path(), dest, fs::copy_options::overwrite_existing);
        std::string name = entry.path().filename().string();
        unsigned mode = name == "swarm-node.key" ? 0600 : 0644;
        auto files = truth["nodes"][node]["files"];
        if (files.contains(name) && files[name].contains("mode"))
            mode = static_cast<unsigned>(std::stoul(files[name]["mode"].get<std::string>(), nullptr, 8));
        ::chmod(dest.c_str(), mode);
    }
    return target;
}

}  // namespace swarmpki::test
