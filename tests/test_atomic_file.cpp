// AtomicFile: nothing is visible until commit() (and nothing at all is left by one destroyed
// without it), the mode is exact whatever the umask, and an existing file is never replaced
// unless the caller said so: `--force` (ca cross-sign --out is the command that writes one file
// through it).
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace swarmpki;
using swarmpki::test::read_text;
using swarmpki::test::run_swarmpki;
using swarmpki::test::TempDir;
using swarmpki::test::write_text;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// Sets the umask for a scope and puts the old one back, even when a REQUIRE fails.
struct UmaskFor {
    mode_t old;
    explicit UmaskFor(mode_t mask) : old(::umask(mask)) {}
    ~UmaskFor() { ::umask(old); }
};

std::string error_of(const std::function<void()>& act) {
    try {
        act();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("an AtomicFile destroyed without commit leaves nothing behind", "[file][atomic_file]") {
    TempDir tmp;
    {
        AtomicFile file((tmp / "key").string(), 0600);
        file.write("half a key");
        CHECK(names_in(tmp.path()).size() == 1);  // the temporary file, under another name
        CHECK(!fs::exists(tmp / "key"));
    }
    CHECK(names_in(tmp.path()).empty());
}

TEST_CASE("an AtomicFile's file appears whole, at commit, under its own name",
          "[file][atomic_file]") {
    TempDir tmp;
    AtomicFile file((tmp / "out.pem").string(), 0644);
    file.write("first ");
    file.write("second");
    CHECK(!fs::exists(tmp / "out.pem"));
    file.commit();
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out.pem"});
    CHECK(read_text(tmp / "out.pem") == "first second");
}

TEST_CASE("an AtomicFile is 0600 under umask 0, before and after commit", "[file][atomic_file]") {
    TempDir tmp;
    {
        UmaskFor permissive(0);
        AtomicFile file((tmp / "secret").string(), 0600);
        file.write("s3cr3t");
        std::vector<std::string> names = names_in(tmp.path());
        REQUIRE(names.size() == 1);
        CHECK(mode_of(tmp / names[0]) == 0600);  // never readable by others, not even for a moment
        file.commit();
        CHECK(mode_of(tmp / "secret") == 0600);
        write_file_atomically((tmp / "public").string(), "cert", 0644);
        CHECK(mode_of(tmp / "public") == 0644);
    }
    {
        UmaskFor tight(077);  // nor does a tight umask narrow a mode
        write_file_atomically((tmp / "cert").string(), "cert", 0644);
    }
    CHECK(mode_of(tmp / "cert") == 0644);
}

TEST_CASE("an AtomicFile refuses an existing file without overwrite, and replaces it with",
          "[file][atomic_file]") {
    TempDir tmp;
    write_text(tmp / "cross.crt", "old");
    CHECK(error_of([&] { AtomicFile((tmp / "cross.crt").string(), 0644); }) ==
          (tmp / "cross.crt").string() + ": already exists (remove it or pass --force)");
    CHECK(read_text(tmp / "cross.crt") == "old");
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"cross.crt"});

    write_file_atomically((tmp / "cross.crt").string(), "new", 0644, Overwrite::yes);
    CHECK(read_text(tmp / "cross.crt") == "new");
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"cross.crt"});
}

TEST_CASE("an AtomicFile does not replace a file that appeared after it was opened",
          "[file][atomic_file]") {
    TempDir tmp;
    AtomicFile file((tmp / "out").string(), 0644);
    file.write("ours");
    write_text(tmp / "out", "theirs");
    std::string error = error_of([&] { file.commit(); });
    CHECK(error.find(": cannot create: ") != std::string::npos);
    CHECK(error.find("(remove it or pass --force)") != std::string::npos);
    CHECK(read_text(tmp / "out") == "theirs");
}

TEST_CASE("ca cross-sign --out refuses an existing file without --force and replaces it with",
          "[file][atomic_file][cli]") {
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "old").string(), "-q"}).exit_code == 0);
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "new").string(), "-q"}).exit_code == 0);
    write_text(tmp / "cross.crt", "keep me");
    std::vector<std::string> args = {"ca",    "cross-sign",
                                     "--old", (tmp / "old").string(),
                                     "--new", (tmp / "new").string(),
                                     "--out", (tmp / "cross.crt").string()};
    auto refused = run_swarmpki(args);
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find((tmp / "cross.crt").string() +
                           ": already exists (remove it or pass --force)") != std::string::npos);
    CHECK(read_text(tmp / "cross.crt") == "keep me");

    args.push_back("--force");
    auto forced = run_swarmpki(args);
    CHECK(forced.exit_code == 0);
    CHECK(read_text(tmp / "cross.crt").rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"cross.crt", "new", "old"});
}
