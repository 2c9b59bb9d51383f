// SocketGuard (pki/service/socket_guard.hpp): the one bound on an HTTP exchange that cpp-httplib
// cannot bound itself. Its verdict must not depend on how late its watcher thread runs: an
// exchange that failed after the deadline is the deadline's, whoever shut the socket.
#include "socket_guard.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using swarmpki::service_detail::SocketGuard;
using namespace std::chrono_literals;

TEST_CASE("a socket guard past its deadline says so before its watcher has fired",
          "[engine_client][socket_guard]") {
    // The watcher wakes every 10 ms at best; asked at once, only the deadline itself can answer.
    SocketGuard guard(SocketGuard::Clock::now() - 1ms);
    CHECK(guard.cut() == SocketGuard::Cut::deadline);
}

TEST_CASE("a socket guard before its deadline has cut nothing, and shuts its sockets at it",
          "[engine_client][socket_guard]") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    SocketGuard guard(SocketGuard::Clock::now() + 100ms);
    guard.adopt(pair[0]);
    CHECK(guard.cut() == SocketGuard::Cut::no);
    char byte = 0;
    // Blocks until the guard shuts the socket down: then the read ends with nothing.
    auto started = std::chrono::steady_clock::now();
    CHECK(::read(pair[0], &byte, 1) == 0);
    CHECK(std::chrono::steady_clock::now() - started >= 90ms);
    CHECK(guard.cut() == SocketGuard::Cut::deadline);
    ::close(pair[0]);
    ::close(pair[1]);
}
