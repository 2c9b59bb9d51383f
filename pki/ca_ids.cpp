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
    std::array<std::uint8_t, 17> number = entropy;
    number[0] |= 0x80;
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string reversed;
    // Long division by 36 over the big-endian bytes until the number is zero.
    while (std::any_of(number.begin(), number.end(), [](std::uint8_t b) { return b != 0; })) {
        unsigned remainder = 0;
        for (std::uint8_t& byte : number) {
            unsigned value = (remainder << 8) | byte;
            byte = static_cast<std::uint8_t>(value / 36);
            remainder = value % 36;
        }
        reversed.push_back(kDigits[remainder]);
    }
    std::string digits(reversed.rbegin(), reversed.rend());
    return digits.substr(1, kEngineIdLength);
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
