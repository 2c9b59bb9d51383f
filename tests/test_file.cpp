// read_file and its reusable-buffer form: the same bytes and the same errors whether the caller
// lets it stat the file or already knows it is regular, and a read loop that a short read does
// not end (unless it brings in the size a stat just saw). Output directories (StagedDirectory):
// never chmod-ed, never written through a link, refused when another user could change them,
// swapped in whole. Secrets: capped, and a warning when others can read them.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

using namespace swarmpki;
using swarmpki::test::read_text;
using swarmpki::test::TempDir;
using swarmpki::test::write_text;
namespace fs = std::filesystem;

namespace {

std::string error_text(const std::function<void()>& read) {
    try {
        read();
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("no error");
    return {};
}

std::uint32_t mode_of(const fs::path& path) { return file_facts(path.string()).mode; }

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A two-file set, as a CA directory is: a certificate and its key.
void write_pair(const fs::path& dir, Overwrite overwrite, const std::string& tag) {
    StagedDirectory staged(dir.string(), overwrite, {"a.crt", "a.key"});
    staged.write("a.crt", "certificate " + tag, 0644);
    staged.write("a.key", "key " + tag, 0600);
    staged.commit();
}

void make_directory(const fs::path& dir, mode_t mode) {
    fs::create_directory(dir);
    REQUIRE(::chmod(dir.c_str(), mode) == 0);
}

struct UmaskFor {
    mode_t old;
    explicit UmaskFor(mode_t mask) : old(::umask(mask)) {}
    ~UmaskFor() { ::umask(old); }
};

struct FailingWrite {
    explicit FailingWrite(int which) {
        file_detail::before_staged_write = [which, calls = 0](const std::string& relative) mutable {
            if (++calls == which) throw Error(relative, "injected write failure");
        };
    }
    ~FailingWrite() { file_detail::before_staged_write = nullptr; }
};

}  // namespace

TEST_CASE("read_to_end reads past a short read, to the end", "[file]") {
    // A pipe returns what has been written so far: the first read is short, and the rest
    // arrives later. Only a read of zero bytes is the end, also when a stat saw fewer bytes
    // than the first read brings (the file grew after it).
    for (std::optional<std::size_t> expected : {std::optional<std::size_t>(), std::optional(3UL)}) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        std::thread writer([&] {
            CHECK(::write(fds[1], "first ", 6) == 6);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            CHECK(::write(fds[1], "second", 6) == 6);
            ::close(fds[1]);
        });
        std::string buffer;
        auto filled = read_to_end(fds[0], buffer, 1024, expected);
        writer.join();
        ::close(fds[0]);
        REQUIRE(filled);
        CHECK(buffer.substr(0, *filled) == "first second");
    }
}

TEST_CASE("read_to_end stops one byte past the limit", "[file]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string data(100, 'x');
    REQUIRE(::write(fds[1], data.data(), data.size()) == 100);
    ::close(fds[1]);
    std::string buffer;
    auto filled = read_to_end(fds[0], buffer, 10);
    ::close(fds[0]);
    REQUIRE(filled);
    CHECK(*filled == 11);
}

TEST_CASE("read_to_end ends at a short read that brings in the stat's size", "[file]") {
    // The writer stays open and the descriptor does not block: a second read could only fail
    // with EAGAIN, so the six bytes come back only if the expected size ends the loop.
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
    REQUIRE(::write(fds[1], "sixsix", 6) == 6);
    std::string buffer;
    auto filled = read_to_end(fds[0], buffer, 1024, 6);
    CHECK_FALSE(read_to_end(fds[0], buffer, 1024).has_value());  // EAGAIN without the size
    ::close(fds[0]);
    ::close(fds[1]);
    REQUIRE(filled);
    CHECK(*filled == 6);
    CHECK(buffer.substr(0, 6) == "sixsix");
}

TEST_CASE("read_file_if_present answers absent without throwing, and throws for the rest",
          "[file]") {
    TempDir tmp;
    write_text(tmp / "here", "bytes");
    fs::create_symlink(tmp / "gone", tmp / "dangling");
    FileIdentity read;
    auto here = read_file_if_present((tmp / "here").string(), read);
    REQUIRE(here);
    CHECK(*here == "bytes");
    CHECK(read == path_identity((tmp / "here").string()));
    CHECK_FALSE(read_file_if_present((tmp / "missing").string(), read));
    try {
        read_file_if_present((tmp / "dangling").string(), read);
        FAIL("a dangling symlink is not absent");
    } catch (const Error& e) {
        CHECK(e.reason() == ReadFailure::broken_symlink);
    }
    CHECK_THROWS_AS(read_file_if_present(tmp.str(), read), Error);  // a directory
}

TEST_CASE("read_file into a reused buffer gives each file's bytes exactly", "[file]") {
    TempDir tmp;
    std::string big(200 * 1024, 'b');  // more than the buffer's first room: several reads
    big.back() = 'e';
    write_text(tmp / "big", big);
    write_text(tmp / "small", "small");
    write_text(tmp / "empty", "");
    for (KnownRegular known : {KnownRegular::no, KnownRegular::yes}) {
        std::string buffer;
        CHECK(read_file((tmp / "big").string(), buffer, known) == big);
        std::size_t room = buffer.size();
        CHECK(read_file((tmp / "small").string(), buffer, known) == "small");
        CHECK(read_file((tmp / "empty").string(), buffer, known).empty());
        CHECK(buffer.size() == room);  // kept for the next file
    }
    CHECK(read_file((tmp / "big").string()) == big);
    CHECK(read_file((tmp / "small").string()) == "small");
}

TEST_CASE("read_file says the same whether or not it stats the file", "[file]") {
    TempDir tmp;
    write_text(tmp / "large", std::string(2000, 'x'));
    fs::create_directories(tmp / "dir");
    for (const char* name : {"large", "missing", "dir"}) {
        std::string path = (tmp / name).string();
        INFO(path);
        std::string owned = error_text([&] { read_file(path, 1000); });
        std::string buffer;
        CHECK(error_text([&] { read_file(path, buffer, KnownRegular::no, 1000); }) == owned);
        CHECK(error_text([&] { read_file(path, buffer, KnownRegular::yes, 1000); }) == owned);
    }
    CHECK(error_text([&] { read_file((tmp / "large").string(), 1000); }) ==
          (tmp / "large").string() +
              ": file is 2000 bytes, over the 1000-byte limit (a swarm PEM file is a few KiB; "
              "check the path)");
}

TEST_CASE("a staged directory goes into an existing 0700 directory and leaves it 0700", "[file]") {
    TempDir tmp;
    make_directory(tmp / "out", 0700);
    write_pair(tmp / "out", Overwrite::no, "1");
    CHECK(mode_of(tmp / "out") == 0700);
    CHECK(read_text(tmp / "out" / "a.key") == "key 1");
    CHECK(mode_of(tmp / "out" / "a.key") == 0600);
    CHECK(mode_of(tmp / "out" / "a.crt") == 0644);
    write_pair(tmp / "out", Overwrite::yes, "2");
    CHECK(mode_of(tmp / "out") == 0700);
    CHECK(read_text(tmp / "out" / "a.key") == "key 2");
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});  // nothing left beside it
}

TEST_CASE("a world-writable output directory is refused and keeps its sticky bit", "[file]") {
    TempDir tmp;
    make_directory(tmp / "out", 01777);
    std::string out = (tmp / "out").string();
    CHECK(error_text([&] { write_pair(out, Overwrite::no, "1"); }) ==
          out + ": has mode 1777: other users can replace the files in it (`chmod go-w " + out +
              "`, or use a directory only you can write)");
    CHECK(mode_of(out) == 01777);
    CHECK(names_in(out).empty());
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});
}

TEST_CASE("a group-writable output directory is refused and left as it is", "[file]") {
    TempDir tmp;
    make_directory(tmp / "out", 0775);
    CHECK_THROWS_WITH(write_pair(tmp / "out", Overwrite::no, "1"),
                      Catch::Contains(": has mode 0775: other users"));
    CHECK(mode_of(tmp / "out") == 0775);
    CHECK(names_in(tmp / "out").empty());
}

TEST_CASE("an output directory owned by another user is refused", "[file]") {
    TempDir tmp;
    make_directory(tmp / "out", 0755);
    if (::chown((tmp / "out").c_str(), 65534, 65534) != 0) {
        WARN("cannot chown to 65534 (not root): skipped");
        return;
    }
    std::string out = (tmp / "out").string();
    std::string me = file_facts(tmp.str()).owner;  // TempDir is ours
    CHECK(error_text([&] { write_pair(out, Overwrite::no, "1"); }) ==
          out + ": is owned by " + file_facts(out).owner + ", not by " + me +
              " who runs swarmpki: its owner can replace the keys in it (use a directory of your "
              "own, or `chown " +
              me + " " + out + "`)");
    CHECK(names_in(out).empty());
    CHECK(error_text([&] { check_directory_is_callers(out); }).find("is owned by") !=
          std::string::npos);
}

TEST_CASE("a symlink as output directory is refused, and nothing changes through it", "[file]") {
    TempDir tmp;
    make_directory(tmp / "real", 0700);
    write_text(tmp / "real" / "keep", "kept");
    fs::create_directory_symlink(tmp / "real", tmp / "link");
    std::string link = (tmp / "link").string();
    for (Overwrite overwrite : {Overwrite::no, Overwrite::yes})
        CHECK(error_text([&] { write_pair(link, overwrite, "1"); }) ==
              link + ": is a symlink (give the directory it points to: swarmpki never writes "
                     "through a link)");
    CHECK(fs::is_symlink(tmp / "link"));
    CHECK(mode_of(tmp / "real") == 0700);
    CHECK(names_in(tmp / "real") == std::vector<std::string>{"keep"});
    CHECK(names_in(tmp.path()) == (std::vector<std::string>{"link", "real"}));
}

TEST_CASE("under umask 000 missing parents are made 0755 and keys 0600", "[file]") {
    TempDir tmp;
    {
        UmaskFor open(0);
        write_pair(tmp / "a" / "b" / "out", Overwrite::no, "1");
        ensure_directory((tmp / "c" / "d").string());
        write_file_atomically((tmp / "c" / "d" / "k").string(), "key", 0600);
    }
    for (const char* dir : {"a", "a/b", "a/b/out", "c", "c/d"}) {
        INFO(dir);
        CHECK(mode_of(tmp / dir) == 0755);
    }
    CHECK(mode_of(tmp / "a" / "b" / "out" / "a.key") == 0600);
    CHECK(mode_of(tmp / "a" / "b" / "out" / "a.crt") == 0644);
    CHECK(mode_of(tmp / "c" / "d" / "k") == 0600);
    {
        UmaskFor closed(077);  // nor does a tight umask narrow them
        write_pair(tmp / "e" / "out", Overwrite::no, "1");
    }
    CHECK(mode_of(tmp / "e") == 0755);
    CHECK(mode_of(tmp / "e" / "out" / "a.crt") == 0644);
}

TEST_CASE("ensure_directory leaves an existing directory's mode alone", "[file]") {
    TempDir tmp;
    make_directory(tmp / "private", 0700);
    make_directory(tmp / "sticky", 01777);
    ensure_directory((tmp / "private").string(), 0755);
    ensure_directory((tmp / "sticky").string(), 0755);
    CHECK(mode_of(tmp / "private") == 0700);
    CHECK(mode_of(tmp / "sticky") == 01777);
}

TEST_CASE("a failed second file leaves the old set whole and no staging directory", "[file]") {
    TempDir tmp;
    write_pair(tmp / "out", Overwrite::no, "old");
    {
        FailingWrite second(2);
        CHECK_THROWS_WITH(write_pair(tmp / "out", Overwrite::yes, "new"),
                          "a.key: injected write failure");
    }
    CHECK(read_text(tmp / "out" / "a.crt") == "certificate old");
    CHECK(read_text(tmp / "out" / "a.key") == "key old");
    CHECK(names_in(tmp / "out") == (std::vector<std::string>{"a.crt", "a.key"}));
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});
    {
        FailingWrite second(2);  // and a new directory is not made at all
        CHECK_THROWS(write_pair(tmp / "fresh", Overwrite::no, "new"));
    }
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});
}

TEST_CASE(
    "a staged directory refuses a non-empty target without --force, and foreign files with it",
    "[file]") {
    TempDir tmp;
    write_pair(tmp / "out", Overwrite::no, "1");
    std::string out = (tmp / "out").string();
    CHECK(error_text([&] { write_pair(out, Overwrite::no, "2"); }) ==
          out + ": already exists and is not empty (choose a new or empty directory, or pass "
                "--force to replace it)");
    write_text(tmp / "out" / "notes", "mine");
    CHECK(error_text([&] { write_pair(out, Overwrite::yes, "2"); }) ==
          (tmp / "out" / "notes").string() +
              ": is not something swarmpki writes here, and --force replaces the whole directory "
              "(move it elsewhere, or choose another directory)");
    CHECK(read_text(tmp / "out" / "a.key") == "key 1");
    CHECK(read_text(tmp / "out" / "notes") == "mine");
    write_text(tmp / "file", "x");
    CHECK(error_text([&] { write_pair(tmp / "file", Overwrite::yes, "2"); }) ==
          (tmp / "file").string() +
              ": exists and is not a directory (remove it or choose another --out)");
}

TEST_CASE("a staged directory writes nested files from several threads", "[file]") {
    TempDir tmp;
    {
        StagedDirectory staged((tmp / "out").string(), Overwrite::no, {"nodes"});
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int n = 0; n < 25; ++n)
                    staged.write("nodes/n" + std::to_string(t * 25 + n) + "/key", "k", 0600);
            });
        for (auto& thread : threads) thread.join();
        staged.commit();
    }
    CHECK(names_in(tmp / "out" / "nodes").size() == 100);
    CHECK(mode_of(tmp / "out" / "nodes") == 0755);
    CHECK(mode_of(tmp / "out" / "nodes" / "n42") == 0755);
    CHECK(mode_of(tmp / "out" / "nodes" / "n42" / "key") == 0600);
}

TEST_CASE("read_secret_file reads a private file silently, and warns without the content when "
          "others can read it",
          "[file]") {
    TempDir tmp;
    fs::path secret = tmp / "secret";
    write_text(secret, "SWMKEY-1-notreallyasecret\n");
    std::string path = secret.string();
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    SecretFile quiet = read_secret_file(path);
    CHECK(std::string(reinterpret_cast<const char*>(quiet.bytes.data()), quiet.bytes.size()) ==
          "SWMKEY-1-notreallyasecret\n");
    CHECK_FALSE(quiet.warning);
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    SecretFile loud = read_secret_file(path);
    CHECK(loud.bytes.size() == quiet.bytes.size());
    REQUIRE(loud.warning);
    CHECK(*loud.warning ==
          path + ": mode 0644 lets other users read this secret (chmod 600 " + path + ")");
    REQUIRE(::chmod(path.c_str(), 0620) == 0);
    CHECK(*read_secret_file(path).warning ==
          path + ": mode 0620 lets other users change this secret (chmod 600 " + path + ")");
}

TEST_CASE("read_secret_file refuses more than its cap, from a file or a FIFO", "[file]") {
    TempDir tmp;
    std::string big = (tmp / "big").string();
    write_text(big, std::string(kSecretReadLimit + 1, 'x'));
    CHECK(error_text([&] { read_secret_file(big); }) ==
          big + ": holds more than 4096 bytes, too many for a secret (give a file holding only the "
                "secret)");
    write_text(big, std::string(kSecretReadLimit, 'x'));
    CHECK(read_secret_file(big).bytes.size() == kSecretReadLimit);

    // A FIFO has no size to stat: the read itself stops one byte past the cap. The test holds
    // the FIFO open read-write (Linux allows it) with twice the cap in it and never closes it
    // during the read: the cap, not an end of input, stops the read.
    std::string fifo = (tmp / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    int held = ::open(fifo.c_str(), O_RDWR);
    REQUIRE(held >= 0);
    std::string data(2 * kSecretReadLimit, 'y');
    REQUIRE(::write(held, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    CHECK(error_text([&] { read_secret_file(fifo); }) ==
          fifo + ": holds more than 4096 bytes, too many for a secret (give a file holding only "
                 "the secret)");
    ::close(held);

    // And a FIFO whose writer comes after the reader opened it is waited for, not read as empty.
    std::thread late([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        int fd = ::open(fifo.c_str(), O_WRONLY);
        CHECK(::write(fd, "SWMKEY-1-x\n", 11) == 11);
        ::close(fd);
    });
    CHECK(read_secret_file(fifo).bytes.size() == 11);
    late.join();
}

TEST_CASE("read_secret_line takes the first line and refuses a longer one than its cap", "[file]") {
    auto through_pipe = [](const std::string& input) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        REQUIRE(input.size() <= 65536);  // the pipe's buffer: the write never blocks
        REQUIRE(::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
        ::close(fds[1]);
        struct Close {
            int fd;
            ~Close() { ::close(fd); }
        } close{fds[0]};
        SecretBytes line = read_secret_line(fds[0], "standard input");
        return std::string(reinterpret_cast<const char*>(line.data()), line.size());
    };
    CHECK(through_pipe("SWMKEY-1-abc\r\nsecond line") == "SWMKEY-1-abc");
    CHECK(through_pipe("no line break") == "no line break");
    CHECK(through_pipe("").empty());
    CHECK(through_pipe(std::string(kSecretReadLimit, 'k') + "\n").size() == kSecretReadLimit);
    std::string refusal = "standard input: more than 4096 bytes before the first line break (give "
                          "only the secret, on one line)";
    CHECK(error_text([&] { through_pipe(std::string(65536, 'k')); }) == refusal);
    CHECK(error_text([&] { through_pipe(std::string(kSecretReadLimit + 1, 'k') + "\n"); }) ==
          refusal);
}

TEST_CASE("keep_secrets_out_of_core_dumps makes the process non-dumpable with no core limit",
          "[file]") {
    // In a child, so the test process keeps its own settings.
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        struct rlimit some {
            4096, RLIM_INFINITY
        };
        bool before = ::setrlimit(RLIMIT_CORE, &some) == 0 &&
                      ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 &&
                      ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1;
        keep_secrets_out_of_core_dumps();
        struct rlimit after {};
        ::getrlimit(RLIMIT_CORE, &after);
        bool hardened = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && after.rlim_cur == 0 &&
                        after.rlim_max == 0;
        ::_exit(!before ? 2 : hardened ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("AccountNames asks the name service once per id and names an unknown id by number",
          "[file]") {
    AccountNames names;
    struct passwd* root = ::getpwuid(0);
    REQUIRE(root != nullptr);
    const std::string& first = names.user(0);
    CHECK(first == root->pw_name);
    CHECK(&names.user(0) == &first);  // the remembered name, not a second lookup
    CHECK(names.user(4000000000U) == "4000000000");
    CHECK(names.group(4000000001U) == "4000000001");
    struct group* wheel = ::getgrgid(0);
    REQUIRE(wheel != nullptr);
    CHECK(names.group(0) == wheel->gr_name);
}

TEST_CASE("file_facts resolves a symlink's real path, and only a symlink's", "[file]") {
    TempDir tmp;
    write_text(tmp / "target", "x");
    fs::create_symlink(tmp / "target", tmp / "link");
    std::string real = real_path((tmp / "target").string()).value();
    CHECK(file_facts((tmp / "link").string()).resolved == real);
    CHECK(file_facts((tmp / "target").string()).resolved.empty());
    CHECK(real_path((tmp / "link").string()) == real);
    CHECK_FALSE(real_path((tmp / "missing").string()));
}

TEST_CASE("file_facts with shared names reports the same owner as a one-off lookup", "[file]") {
    TempDir dir;
    std::string path = (dir.path() / "f").string();
    write_text(path, "x");
    AccountNames names;
    FileFacts shared = file_facts(path, names);
    FileFacts alone = file_facts(path);
    CHECK(shared.owner == alone.owner);
    CHECK(shared.group == alone.group);
    CHECK(shared.uid == alone.uid);
}
