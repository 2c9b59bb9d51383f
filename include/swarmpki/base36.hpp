// Base 36 text for fixed-width unsigned numbers, the way join tokens write them.
//
// The engine writes a SHA-256 digest and a 16-byte secret with Go's big.Int.Text(36), left-padded
// with '0'. This is an encoding, not cryptography, so it uses plain 64-bit limbs instead of a
// bignum library: a 256-bit value is four limbs, and twelve base-36 digits (36^12 < 2^64) are
// folded in with one multiply-add per limb. Digits are lower-case [0-9a-z] only.
#pragma once

// Util layer (1): includable from every layer.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace swarmpki {

// The value of a lower-case base-36 digit, or -1 (upper case included: join tokens are lower case).
int base36_digit_value(char c);

enum class Base36Decode { ok, bad_digit, overflow };

// Reads `digits` (at most 60) as a big-endian number into `out[0..size)` (size at most 32).
// bad_digit: a character outside [0-9a-z] (`bad_index` says which); overflow: the value needs more
// than `size` bytes. `out` is unspecified unless ok.
Base36Decode base36_decode(std::string_view digits, std::uint8_t* out, std::size_t size,
                           std::size_t* bad_index = nullptr);

// Writes the big-endian number `in[0..size)` (size at most 32) as exactly `width` lower-case
// digits (at most 60), zero-padded on the left. Returns false, writing nothing, when the value
// needs more than `width` digits.
bool base36_encode(const std::uint8_t* in, std::size_t size, char* out, std::size_t width);

}  // namespace swarmpki
