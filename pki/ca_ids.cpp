// Engine-style identifiers (swarmkit identity/randomid.go NewID).
//
// 17 random bytes with the top bit set make a number in [2^135, 2^136), whose base-36 form always
// has 27 digits; the engine keeps characters [1:26], so every node and cluster ID is exactly 25
// lowercase base-36 characters. The first digit is dropped because it carries little entropy.
#include "swarmpki/ca.hpp"

#include "swarmpki/encoding.hpp"

#include <algorithm>

namespace swarmpki {

std::string engine_id_from_entropy(const std::array<std::uint8_t, 17>& entropy) {
    // The 136-bit number as five 32-bit limbs, most significant first (the top one holds 8 bits).
    std::array<std::uint32_t, 5> limbs{entropy[0] | 0x80u, 0, 0, 0, 0};
    for (std::size_t i = 1; i < entropy.size(); ++i) {
        std::size_t limb = 1 + (i - 1) / 4;
        limbs[limb] = (limbs[limb] << 8) | entropy[i];
    }
    // Long division by 36^6 (which fits in 32 bits) gives six digits per pass: five passes instead
    // of one per digit over every byte, since the rotation simulator makes ten thousand of these
    // on one thread.
    constexpr std::uint64_t kChunk = 36ull * 36 * 36 * 36 * 36 * 36;
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::array<char, 30> digits{};  // least significant first
    std::size_t count = 0;
    while (std::any_of(limbs.begin(), limbs.end(), [](std::uint32_t l) { return l != 0; })) {
        std::uint64_t remainder = 0;
        for (std::uint32_t& limb : limbs) {
            std::uint64_t value = (remainder << 32) | limb;
            limb = static_cast<std::uint32_t>(value / kChunk);
            remainder = value % kChunk;
        }
        for (int d = 0; d < 6 && count < digits.size(); ++d, remainder /= 36) digits[count++] = kDigits[remainder % 36];
    }
    // The last pass pads with zeros above the top digit; the number has 27 digits.
    constexpr std::size_t kDigitCount = 27;
    std::string text;
    text.reserve(kEngineIdLength);
    for (std::size_t i = kDigitCount - 1; i-- > kDigitCount - 1 - kEngineIdLength;) text.push_back(digits[i]);
    return text;
}

std::string new_engine_id() {
    std::array<std::uint8_t, 17> entropy{};
    random_bytes(entropy.data(), entropy.size());
    return engine_id_from_entropy(entropy);
}

bool looks_like_engine_id(std::string_view text) {
    return text.size() == kEngineIdLength &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
           });
}

}  // namespace swarmpki
