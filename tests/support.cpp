#include "support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
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

// "NAME=value" entries over the test process's environment; a bare "NAME" removes NAME.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> result;
    for (char** e = environ; *e; ++e) result.emplace_back(*e);
    for (const auto& entry : extra) {
        std::string name = entry.substr(0, entry.find('='));
        std::erase_if(result, [&](const std::string& e) {
            return e.compare(0, name.size() + 1, name + "=") == 0;
        });
        if (entry.find('=') != std::string::npos) result.push_back(entry);
    }
    return result;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& s : strings) result.push_back(s.data());
    result.push_back(nullptr);
    return result;
}

// Only async-signal-safe calls from here to exec (see spawn_program).
[[noreturn]] void become_child(const char* binary, char* const* argv, char* const* envp,
                               ChildStreams streams, bool die_with_parent) {
    if (die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // the test process ignores it; its children must not inherit that
    if (streams.in >= 0) ::dup2(streams.in, 0);
    if (streams.out >= 0) ::dup2(streams.out, 1);
    if (streams.err >= 0) ::dup2(streams.err, 2);
    ::close_range(3, ~0U, 0);
    ::execve(binary, argv, envp);
    ::_exit(127);
}

}  // namespace

pid_t spawn_program(const std::string& binary, const std::vector<std::string>& args,
                    const std::vector<std::string>& env, ChildStreams streams,
                    bool die_with_parent) {
    std::vector<std::string> arg_strings{binary};
    arg_strings.insert(arg_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings = child_environment(env);
    std::vector<char*> argv = pointers_to(arg_strings);
    std::vector<char*> envp = pointers_to(env_strings);
    pid_t pid = ::fork();
    if (pid == 0) become_child(binary.c_str(), argv.data(), envp.data(), streams, die_with_parent);
    REQUIRE(pid > 0);
    return pid;
}

RunResult run_swarmpki(const std::vector<std::string>& args, const std::string& input,
                       const std::vector<std::string>& env) {
    return run_program(SWARMPKI_BINARY, args, input, env);
}

namespace {

std::string command_line(const std::string& binary, const std::vector<std::string>& args) {
    std::string line = binary;
    for (const auto& a : args) line += " '" + a + "'";
    return line;
}

// Reads both pipes to their end or until the deadline; false if the deadline came first.
bool drain_until(int out_fd, int err_fd, RunResult& result,
                 std::chrono::steady_clock::time_point deadline) {
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    char buffer[65536];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        REQUIRE(ready >= 0);
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) sinks[i]->append(buffer, static_cast<size_t>(n));
            else if (n == 0 || errno != EINTR) fds[i].fd = -1;
        }
    }
    return true;
}

}  // namespace

RunResult run_program(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& input, const std::vector<std::string>& env) {
    std::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading its input must not kill us
    int in_pipe[2], out_pipe[2], err_pipe[2];
    REQUIRE(::pipe2(in_pipe, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kRunDeadlineSeconds);
    pid_t pid = spawn_program(binary, args, env, {in_pipe[0], out_pipe[1], err_pipe[1]});
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
    bool finished = drain_until(out_pipe[0], err_pipe[0], result, deadline);
    if (!finished) ::kill(-pid, SIGKILL);  // its group: a pipeline's other members too
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    writer.join();  // the child has exited or been killed: its input pipe no longer blocks
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!finished)
        FAIL(command_line(binary, args)
             << ": still running after " << kRunDeadlineSeconds
             << " s; killed\nstdout: " << result.out << "\nstderr: " << result.err);
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
            mode = static_cast<unsigned>(
                std::stoul(files[name]["mode"].get<std::string>(), nullptr, 8));
        ::chmod(dest.c_str(), mode);
    }
    return target;
}

}  // namespace swarmpki::test
