// Plain decimals, and doubles rounded to whole numbers, without libm.
//
// `swarmpki` does not link libm: loading it costs every run about 0.1 ms (bench/inspect.sh's
// whole budget above the libcrypto floor is under 1 ms), and the few roundings the tool needs are
// of values far inside int64's range. std::floor/std::round/std::llround and std::from_chars on a
// double are libm calls on x86-64's baseline, so they are written here once instead.
#pragma once

// Util layer (1): includable from every layer.

#include <cstdint>
#include <optional>
#include <string_view>

namespace swarmpki {

// "90", "1.5", ".5", "5.": digits with at most one '.', at least one digit; no sign, no exponent,
// no "inf" or "nan". At most 64 characters.
std::optional<double> parse_plain_decimal(std::string_view text);

// The largest whole number not above `value`; `value` within +-2^62.
std::int64_t floor_to_int64(double value);
// The nearest whole number, halves away from zero (as std::llround); `value` within +-2^62.
std::int64_t round_to_int64(double value);

}  // namespace swarmpki
