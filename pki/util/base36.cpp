// Base 36 on fixed-width numbers with 64-bit limbs (little-endian limb order inside).
#include "swarmpki/base36.hpp"

#include <algorithm>
#include <array>

namespace swarmpki {

namespace {

__extension__ typedef unsigned __int128
    Uint128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet

constexpr std::size_t kMaxBytes = 32;
constexpr std::size_t kLimbs = kMaxBytes / 8;
constexpr std::size_t kMaxDigits = 60;
constexpr std::size_t kChunkDigits = 12;  // 36^12 ~ 4.7e18 fits in 64 bits
constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";

using Limbs = std::array<std::uint64_t, kLimbs>;

constexpr std::array<std::int8_t, 256> make_digit_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (int i = 0; i < 36; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr auto kDigitTable = make_digit_table();

constexpr std::array<std::uint64_t, kChunkDigits + 1> make_powers() {
    std::array<std::uint64_t, kChunkDigits + 1> p{};
    p[0] = 1;
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 36;
    return p;
}
constexpr auto kPow36 = make_powers();

// acc = acc * mul + add; returns the carry out of the top limb (non-zero means overflow).
std::uint64_t multiply_add(Limbs& acc, std::uint64_t mul, std::uint64_t add) {
    std::uint64_t carry = add;
    for (auto& limb : acc) {
        Uint128 t = static_cast<Uint128>(limb) * mul + carry;
        limb = static_cast<std::uint64_t>(t);
        carry = static_cast<std::uint64_t>(t >> 64);
    }
    return carry;
}

// acc /= div; returns the remainder.
std::uint64_t divide(Limbs& acc, std::uint64_t div) {
    std::uint64_t rem = 0;
    for (std::size_t i = kLimbs; i-- > 0;) {
        Uint128 t = (static_cast<Uint128>(rem) << 64) | acc[i];
        acc[i] = static_cast<std::uint64_t>(t / div);
        rem = static_cast<std::uint64_t>(t % div);
    }
    return rem;
}

}  // namespace

int base36_digit_value(char c) { return kDigitTable[static_cast<unsigned char>(c)]; }

Base36Decode base36_decode(std::string_view digits, std::uint8_t* out, std::size_t size,
                           std::size_t* bad_index) {
    if (size > kMaxBytes || digits.size() > kMaxDigits) return Base36Decode::overflow;
    Limbs acc{};
    bool overflow = false;
    std::size_t i = 0;
    while (i < digits.size()) {
        std::size_t n = std::min(kChunkDigits, digits.size() - i);
        std::uint64_t chunk = 0;
        for (std::size_t end = i + n; i < end; ++i) {
            int v = kDigitTable[static_cast<unsigned char>(digits[i])];
            if (v < 0) {
                if (bad_index) *bad_index = i;
                return Base36Decode::bad_digit;
            }
            chunk = chunk * 36 + static_cast<std::uint64_t>(v);
        }
        // Keep scanning after an overflow so a bad digit later on is still the reported fault.
        if (multiply_add(acc, kPow36[n], chunk) != 0) overflow = true;
    }
    // Bytes above `size` must be zero for the value to fit.
    for (std::size_t b = size; b < kMaxBytes; ++b)
        if ((acc[b / 8] >> (8 * (b % 8))) & 0xff) overflow = true;
    if (overflow) return Base36Decode::overflow;
    for (std::size_t b = 0; b < size; ++b)
        out[size - 1 - b] = static_cast<std::uint8_t>(acc[b / 8] >> (8 * (b % 8)));
    return Base36Decode::ok;
}

bool base36_encode(const std::uint8_t* in, std::size_t size, char* out, std::size_t width) {
    if (size > kMaxBytes || width > kMaxDigits) return false;
    Limbs acc{};
    for (std::size_t b = 0; b < size; ++b)
        acc[b / 8] |= static_cast<std::uint64_t>(in[size - 1 - b]) << (8 * (b % 8));
    // Produce twelve digits at a time from the least significant end.
    std::array<char, kMaxDigits> text{};
    std::size_t pos = text.size();
    while (pos > 0) {
        std::uint64_t chunk = divide(acc, kPow36[kChunkDigits]);
        for (std::size_t k = 0; k < kChunkDigits; ++k) {
            text[--pos] = kAlphabet[chunk % 36];
            chunk /= 36;
        }
    }
    for (std::size_t k = 0; k < text.size() - width; ++k)
        if (text[k] != '0') return false;
    for (std::size_t k = 0; k < width; ++k) out[k] = text[text.size() - width + k];
    return true;
}

}  // namespace swarmpki
