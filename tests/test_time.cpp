// time: RFC 3339 as the commands' --at and every document's timestamps read and write it, Go
// durations as --warn/--crit take them, and the relative and compact forms the text output uses.
// Exact values throughout: a parser that drifts by an hour or a day must fail here.
#include "swarmpki/time.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace swarmpki;

namespace {

std::int64_t unix_of(const char* text) {
    std::optional<Instant> parsed = parse_rfc3339(text);
    REQUIRE(parsed);
    return unix_seconds(*parsed);
}

}  // namespace

TEST_CASE("parse_rfc3339 reads UTC instants to the second", "[time]") {
    CHECK(unix_of("1970-01-01T00:00:00Z") == 0);
    CHECK(unix_of("2000-02-29T00:00:00Z") == 951782400);
    CHECK(unix_of("2024-02-29T12:34:56Z") == 1709210096);
    CHECK(unix_of("2038-01-19T03:14:08Z") == 2147483648);  // past the 32-bit time_t
    CHECK(unix_of("1969-12-31T23:59:59Z") == -1);
    // 't' and 'z' in lower case, as RFC 3339 section 5.6 allows.
    CHECK(unix_of("2024-02-29t12:34:56z") == 1709210096);
}

TEST_CASE("parse_rfc3339 applies numeric offsets", "[time]") {
    CHECK(unix_of("2024-02-29T13:34:56+01:00") == 1709210096);
    CHECK(unix_of("2024-02-29T07:04:56-05:30") == 1709210096);
    CHECK(unix_of("2024-02-29T12:34:56+00:00") == 1709210096);
    CHECK(unix_of("2024-02-29T12:34:56-00:00") == 1709210096);
    // An offset that crosses midnight and a leap day.
    CHECK(unix_of("2024-03-01T00:30:00+01:00") == unix_of("2024-02-29T23:30:00Z"));
    CHECK(unix_of("2024-02-29T23:59:59+23:59") == unix_of("2024-02-29T00:00:59Z"));
}

TEST_CASE("parse_rfc3339 truncates fractional seconds", "[time]") {
    CHECK(unix_of("2024-02-29T12:34:56.999999999Z") == 1709210096);
    CHECK(unix_of("2024-02-29T12:34:56.5+01:00") == 1709210096 - 3600);
    CHECK_FALSE(parse_rfc3339("2024-02-29T12:34:56.Z"));  // a dot needs a digit
}

TEST_CASE("parse_rfc3339 knows leap days", "[time]") {
    CHECK(parse_rfc3339("2024-02-29T00:00:00Z"));
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z"));        // divisible by 400
    CHECK_FALSE(parse_rfc3339("2100-02-29T00:00:00Z"));  // divisible by 100 only
    CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2024-04-31T00:00:00Z"));
}

TEST_CASE("a leap second reads as the first second of the next minute", "[time]") {
    // X.509 and Go both lack leap seconds; :60 is accepted and folds forward, never refused.
    CHECK(unix_of("2016-12-31T23:59:60Z") == unix_of("2017-01-01T00:00:00Z"));
}

TEST_CASE("parse_rfc3339 refuses out-of-range fields and other shapes", "[time]") {
    for (const char* bad : {
             "2024-13-01T00:00:00Z",
             "2024-00-01T00:00:00Z",
             "2024-01-00T00:00:00Z",
             "2024-01-32T00:00:00Z",
             "2024-01-01T24:00:00Z",
             "2024-01-01T00:60:00Z",
             "2024-01-01T00:00:61Z",
             "2024-01-01T00:00:00+24:00",
             "2024-01-01T00:00:00+01:60",
             "2024-01-01T00:00:00",       // no zone: local time is not an instant
             "2024-01-01 00:00:00Z",      // space for T
             "2024-01-01T00:00:00+0100",  // offset without a colon
             "2024-01-01T00:00:00+01",    // offset without minutes
             "2024-01-01T00:00:00Zjunk",  // trailing bytes
             "2024-1-01T00:00:00Z",       // fields have fixed widths
             "24-01-01T00:00:00Z",
             "2024-01-01",
             "",
             "now",
             "1704067200",
         }) {
        INFO(bad);
        CHECK_FALSE(parse_rfc3339(bad));
    }
}

TEST_CASE("format_rfc3339 writes UTC to the second and round-trips", "[time]") {
    CHECK(format_rfc3339(from_unix_seconds(0)) == "1970-01-01T00:00:00Z");
    CHECK(format_rfc3339(from_unix_seconds(-1)) == "1969-12-31T23:59:59Z");
    CHECK(format_rfc3339(from_unix_seconds(951782400)) == "2000-02-29T00:00:00Z");
    CHECK(format_rfc3339(from_unix_seconds(2147483648)) == "2038-01-19T03:14:08Z");
    CHECK(format_rfc3339(*parse_rfc3339("2024-02-29T13:34:56.75+01:00")) == "2024-02-29T12:34:56Z");
    for (std::int64_t s : {std::int64_t{0}, std::int64_t{951782399}, std::int64_t{1709210096},
                           std::int64_t{4102444800}, std::int64_t{253402300799}}) {
        INFO(s);
        CHECK(unix_seconds(*parse_rfc3339(format_rfc3339(from_unix_seconds(s)))) == s);
    }
    CHECK(format_rfc3339(from_unix_seconds(253402300799)) == "9999-12-31T23:59:59Z");
}

TEST_CASE("parse_duration reads Go durations plus days and weeks", "[time]") {
    CHECK(parse_duration("2160h") == Seconds(7776000));
    CHECK(parse_duration("2160h0m0s") == Seconds(7776000));
    CHECK(parse_duration("7776000s") == Seconds(7776000));
    CHECK(parse_duration("90d") == Seconds(7776000));
    CHECK(parse_duration("1w") == Seconds(604800));
    CHECK(parse_duration("1.5h") == Seconds(5400));
    CHECK(parse_duration(".5h") == Seconds(1800));
    CHECK(parse_duration("1h30m") == Seconds(5400));
    CHECK(parse_duration("+90m") == Seconds(5400));
    CHECK(parse_duration("0") == Seconds(0));
    CHECK(parse_duration("0s") == Seconds(0));
    // Below a second rounds to the nearest second, half away from zero.
    CHECK(parse_duration("1500ms") == Seconds(2));
    CHECK(parse_duration("1499ms") == Seconds(1));
    CHECK(parse_duration("999999us") == Seconds(1));
}

TEST_CASE("parse_duration refuses what Go refuses, and negatives", "[time]") {
    for (const char* bad :
         {"", "-1h", "5", "h", "1.2.3h", "1x", "1H", "1 h", "+", ".h", "9999999999999999h"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
    CHECK_FALSE(parse_duration(std::string(65, '1') + "s"));  // longer than any real duration
}

TEST_CASE("format_relative names the largest unit that is at least two of itself", "[time]") {
    Instant now = *parse_rfc3339("2026-12-01T00:00:00Z");
    CHECK(format_relative(now, now) == "now");
    CHECK(format_relative(now + Seconds(1), now) == "in 1 second");
    CHECK(format_relative(now + Seconds(119), now) == "in 119 seconds");
    CHECK(format_relative(now + Seconds(120), now) == "in 2 minutes");
    CHECK(format_relative(now + Seconds(86400), now) == "in 24 hours");
    CHECK(format_relative(now + Seconds(41 * 86400 + 3600), now) == "in 41 days");
    CHECK(format_relative(now - Seconds(3 * 3600), now) == "3 hours ago");
    CHECK(format_relative(now - Seconds(2 * 365 * 86400), now) == "2 years ago");
}

TEST_CASE("format_duration is compact and drops units below the second largest", "[time]") {
    CHECK(format_duration(Seconds(0)) == "0s");
    CHECK(format_duration(Seconds(45)) == "45s");
    CHECK(format_duration(Seconds(5400)) == "1h30m");
    CHECK(format_duration(Seconds(7200)) == "2h");
    CHECK(format_duration(Seconds(7776000)) == "90d");
    CHECK(format_duration(Seconds(86400 + 3600 + 61)) == "1d1h");
    CHECK(format_duration(Seconds(-90)) == "-1m30s");
}
