// read_file and its reusable-buffer form: the same bytes and the same errors whether the caller
// lets it stat the file or already knows it is regular, and a read loop that a short read does
// not end.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

using namespace swarmpki;
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

}  // namespace

TEST_CASE("read_to_end reads past a short read, to the end", "[file]") {
    // A pipe returns what has been written so far: the first read is short, and the rest
    // arrives later. Only a read of zero bytes is the end.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::thread writer([&] {
        CHECK(::write(fds[1], "first ", 6) == 6);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        CHECK(::write(fds[1], "second", 6) == 6);
        ::close(fds[1]);
    });
    std::string buffer;
    auto filled = read_to_end(fds[0], buffer, 1024);
    writer.join();
    ::close(fds[0]);
    REQUIRE(filled);
    CHECK(buffer.substr(0, *filled) == "first second");
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
