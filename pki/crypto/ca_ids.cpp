// Engine-style identifiers (swarmkit identity/randomid.go NewID).
//
// 17 random bytes with the top bit set make a number in [2^135, 2^136), whose base-36 form always
// has 27 digits; the engine keeps characters [1:26], so every node and cluster ID is exactly 25
// lowercase base-36 characters. The first digit is dropped because it carries little entropy.
#include "swarmpki/ca.hpp"

#include "swarmpki/base36.hpp"
#include "swarmpki/encoding.hpp"

#include <algorithm>

namespace swarmpki {

std::string engine_id_from_entropy(const std::array<std::uint8_t, 17>& entropy) {
    std::array<std::uint8_t, 17> number = entropy;
    number[0] |= 0x80;
    // 2^135 <= number < 2^136, and 36^26 < 2^135 < 2^136 < 36^27: exactly 27 digits, so the
    // encoding never fails and never pads.
    constexpr std::size_t kDigitCount = 27;
    std::array<char, kDigitCount> digits{};
    base36_encode(number.data(), number.size(), digits.data(), digits.size());
    return std::string(digits.data() + 1, kEngineIdLength);
}

std::string new_engine_id() {
    std::array<std::uint8_t, 17> entropy{};
    random_bytes(entropy.data(), entropy.size());
    return engine_id_from_entropy(entropy);
}

bool looks_like_engine_id(std::string_view text) {
    return text.size() == kEngineIdLength && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
           });
}

}  // namespace swarmpki
