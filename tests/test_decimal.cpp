#include "swarmpki/decimal.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace swarmpki;

TEST_CASE("parse_plain_decimal takes digits with one point and nothing else", "[decimal]") {
    CHECK(parse_plain_decimal("90") == 90.0);
    CHECK(parse_plain_decimal("1.5") == 1.5);
    CHECK(parse_plain_decimal(".5") == 0.5);
    CHECK(parse_plain_decimal("5.") == 5.0);
    CHECK(parse_plain_decimal("007.25") == 7.25);
    for (const char* refused : {"", ".", "1..2", "1.2.3", "-1", "+1", "1e2", "inf", "nan", "0x10",
                                " 1", "1 ", "1,5", "½"})
        CHECK_FALSE(parse_plain_decimal(refused));
    CHECK_FALSE(parse_plain_decimal(std::string(65, '1')));
    CHECK(parse_plain_decimal(std::string(64, '1')));
}

TEST_CASE("floor_to_int64 and round_to_int64 agree with libm", "[decimal]") {
    for (double v : {0.0,
                     -0.0,
                     0.4999999999999999,
                     0.5,
                     1.5,
                     2.5,
                     -0.5,
                     -1.5,
                     -2.5,
                     2.4,
                     -2.4,
                     2.6,
                     -2.6,
                     1e15 + 0.5,
                     -1e15 - 0.5,
                     4503599627370497.0,
                     123456789.999,
                     -123456789.001,
                     1e18,
                     -1e18}) {
        INFO(v);
        CHECK(floor_to_int64(v) == static_cast<std::int64_t>(std::floor(v)));
        CHECK(round_to_int64(v) == std::llround(v));
    }
}
