// swarmpki serve / notify: hand the process over to swarmpki-serve, the binary that links libssl
// and cpp-httplib. Keeping them out of `swarmpki` saves every other command mapping and
// initialising them (2M instructions of a 16M `inspect` run); exec keeps the PID, stdin/stdout,
// signals and exit code exactly as if the command ran here.
#include "commands.hpp"

#include "swarmpki/error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace swarmpki::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kHelperName = "swarmpki-serve";

// Where `cmake --install` puts it relative to the bin directory first, so that a relocated
// install (--prefix anywhere) finds its own helper even when a stray swarmpki-serve sits beside
// the binary (in /usr/bin, say); then beside this binary (the build tree).
fs::path find_helper() {
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (error) throw Error("/proc/self/exe", "cannot locate the running binary", "mount /proc");
    fs::path here = self.parent_path();
    for (const fs::path& candidate :
         {here / SWARMPKI_HELPER_RELATIVE_DIR / kHelperName, here / kHelperName}) {
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal();
    }
    throw Error((here / SWARMPKI_HELPER_RELATIVE_DIR / kHelperName).lexically_normal().string(),
                "not found: serve, notify, cluster and the engine's questions run in this helper",
                "reinstall swarmpki, or build the swarmpki-serve target beside swarmpki");
}

}  // namespace

ExitCode exec_helper(const char* command, const Args& args) {
    fs::path helper = find_helper();
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(helper.c_str()));
    argv.push_back(const_cast<char*>(command));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(helper.c_str(), argv.data());
    int error = errno;  // before anything below can allocate and overwrite it
    throw Error(helper.string(), std::string("cannot run: ") + std::strerror(error),
                "check the file's permissions, or reinstall swarmpki");
}

ExitCode exec_serve(const Args& args) { return exec_helper("serve", args); }
ExitCode exec_notify(const Args& args) { return exec_helper("notify", args); }
ExitCode exec_cluster(const Args& args) { return exec_helper("cluster", args); }

}  // namespace swarmpki::cli
