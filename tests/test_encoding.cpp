#include "swarmpki/encoding.hpp"
#include "swarmpki/time.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;

TEST_CASE("base64_decode honours the padding rule asked for", "[encoding]") {
    CHECK(base64_decode("aGk=", Padding::required) == Bytes{'h', 'i'});
    CHECK_FALSE(base64_decode("aGk", Padding::required));
    CHECK(base64_decode("aGk", Padding::optional) == Bytes{'h', 'i'});
    CHECK_FALSE(base64_decode("aGk=", Padding::forbidden));
    CHECK_FALSE(base64_decode("a", Padding::optional));
    CHECK_FALSE(base64_decode("a-b_", Padding::optional));  // URL alphabet is not the engine's
}

TEST_CASE("sha256_hex matches the known digest of 'abc'", "[encoding]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hex round trip", "[encoding]") {
    Bytes b{0x00, 0xff, 0x10};
    CHECK(hex_encode(b) == "00ff10");
    CHECK(hex_decode("00FF10") == b);
    CHECK_FALSE(hex_decode("0g"));
}

TEST_CASE("parse_rfc3339 takes Z, offsets and fractions", "[time]") {
    CHECK(format_rfc3339(*parse_rfc3339("2027-02-26T22:58:00Z")) == "2027-02-26T22:58:00Z");
    CHECK(format_rfc3339(*parse_rfc3339("2027-02-26T23:58:00.123+01:00")) ==
          "2027-02-26T22:58:00Z");
    CHECK(unix_seconds(*parse_rfc3339("1970-01-01T00:00:00Z")) == 0);
    CHECK_FALSE(parse_rfc3339("2027-02-30T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2027-02-26 22:58:00"));
    CHECK_FALSE(parse_rfc3339("2027-02-26T22:58:00"));
}

TEST_CASE("parse_duration accepts the engine's syntax and d/w", "[time]") {
    CHECK(parse_duration("2160h")->count() == 7776000);
    CHECK(parse_duration("2160h0m0s")->count() == 7776000);
    CHECK(parse_duration("90m")->count() == 5400);
    CHECK(parse_duration("7776000s")->count() == 7776000);
    CHECK(parse_duration("1.5h")->count() == 5400);
    CHECK(parse_duration("90d")->count() == 7776000);
    CHECK(parse_duration("2w")->count() == 14 * 86400);
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("-1h"));
    CHECK_FALSE(parse_duration("10"));
    CHECK_FALSE(parse_duration("5y"));
}

TEST_CASE("format_relative uses the largest sensible unit", "[time]") {
    Instant now = *parse_rfc3339("2026-01-01T00:00:00Z");
    CHECK(format_relative(now + std::chrono::days(41), now) == "in 41 days");
    CHECK(format_relative(now - std::chrono::hours(3), now) == "3 hours ago");
    CHECK(format_relative(now + std::chrono::hours(25), now) == "in 25 hours");
    CHECK(format_relative(now, now) == "now");
}
