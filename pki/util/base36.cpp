// Base 36 on fixed-width numbers with 64-bit limbs (little-endian limb order inside).
#include "swarmpki/base36.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

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

constexpr std::uint8_t kNotADigit = 0x80;  // a bit no digit value (0..35) has

constexpr std::array<std::uint8_t, 256> make_digit_table() {
    std::array<std::uint8_t, 256> table{};
    for (auto& v : table) v = kNotADigit;
    for (int i = 0; i < 36; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
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

int base36_digit_value(char c) {
    std::uint8_t v = kDigitTable[static_cast<unsigned char>(c)];
    return v == kNotADigit ? -1 : v;
}

namespace {

// One chunk of n digits, branch-free: every digit is folded in and its table entry OR-ed into
// `bad`, so the loop has no exit. A non-digit makes the chunk garbage, which is never used: `bad`
// has kNotADigit set afterwards. Always inlined, so that a constant n (kChunkDigits) unrolls.
[[gnu::always_inline]] inline std::uint64_t fold_chunk(const char* p, std::size_t n,
                                                       unsigned& bad) {
    std::uint64_t chunk = 0;
    for (std::size_t k = 0; k < n; ++k) {
        std::uint8_t v = kDigitTable[static_cast<unsigned char>(p[k])];
        bad |= v;
        chunk = chunk * 36 + v;
    }
    return chunk;
}

std::size_t first_bad_digit(std::string_view digits) {
    std::size_t i = 0;
    while (i < digits.size() && kDigitTable[static_cast<unsigned char>(digits[i])] != kNotADigit)
        ++i;
    return i;
}

// acc[0..L) = acc * mul + add; returns the carry out of the top limb (non-zero: overflow). L is a
// template argument so that the limb loop unrolls: this is most of a token's decoding time.
template <std::size_t L>
std::uint64_t multiply_add(Limbs& acc, std::uint64_t mul, std::uint64_t add) {
    std::uint64_t carry = add;
    for (std::size_t l = 0; l < L; ++l) {
        Uint128 t = static_cast<Uint128>(acc[l]) * mul + carry;
        acc[l] = static_cast<std::uint64_t>(t);
        carry = static_cast<std::uint64_t>(t >> 64);
    }
    return carry;
}

// Whole twelve-digit chunks first (a constant count, so fully unrolled), then the rest.
template <std::size_t L>
std::uint64_t fold_digits(std::string_view digits, Limbs& acc, unsigned& bad) {
    std::uint64_t carry = 0;
    std::size_t i = 0;
    for (; i + kChunkDigits <= digits.size(); i += kChunkDigits)
        carry |= multiply_add<L>(acc, kPow36[kChunkDigits],
                                 fold_chunk(digits.data() + i, kChunkDigits, bad));
    if (std::size_t n = digits.size() - i; n > 0)
        carry |= multiply_add<L>(acc, kPow36[n], fold_chunk(digits.data() + i, n, bad));
    return carry;
}

// Big-endian bytes of the low `size` bytes of acc.
void store_big_endian(const Limbs& acc, std::uint8_t* out, std::size_t size) {
    std::size_t b = 0;
    if constexpr (std::endian::native == std::endian::little)
        for (; b + 8 <= size; b += 8) {
            std::uint64_t limb = __builtin_bswap64(acc[b / 8]);
            std::memcpy(out + size - b - 8, &limb, 8);
        }
    for (; b < size; ++b)
        out[size - 1 - b] = static_cast<std::uint8_t>(acc[b / 8] >> (8 * (b % 8)));
}

}  // namespace

// Only the limbs `size` needs are carried (two for a secret, four for a digest): the value only
// grows as digits are folded in, so a carry out of the top one at any step means it does not fit.
Base36Decode base36_decode(std::string_view digits, std::uint8_t* out, std::size_t size,
                           std::size_t* bad_index) {
    if (size > kMaxBytes || digits.size() > kMaxDigits) return Base36Decode::overflow;
    const std::size_t limbs = (size + 7) / 8;
    Limbs acc{};
    unsigned bad = 0;
    std::uint64_t carry = 0;
    switch (limbs) {
        case 0: carry = fold_digits<0>(digits, acc, bad); break;
        case 1: carry = fold_digits<1>(digits, acc, bad); break;
        case 2: carry = fold_digits<2>(digits, acc, bad); break;
        case 3: carry = fold_digits<3>(digits, acc, bad); break;
        default: carry = fold_digits<4>(digits, acc, bad); break;
    }
    // A bad digit is the reported fault even when the value also overflowed.
    if ((bad & kNotADigit) != 0) {
        if (bad_index) *bad_index = first_bad_digit(digits);
        return Base36Decode::bad_digit;
    }
    // Bits of the top limb above `size` bytes must be zero too.
    if (carry != 0 || (size % 8 != 0 && (acc[limbs - 1] >> (8 * (size % 8))) != 0))
        return Base36Decode::overflow;
    store_big_endian(acc, out, size);
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
