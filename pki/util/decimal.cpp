#include "swarmpki/decimal.hpp"

#include <cstdlib>
#include <string>

namespace swarmpki {

std::optional<double> parse_plain_decimal(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    std::size_t digits = 0;
    std::size_t dots = 0;
    for (char c : text) {
        if (c >= '0' && c <= '9') ++digits;
        else if (c == '.') ++dots;
        else return std::nullopt;
    }
    if (digits == 0 || dots > 1) return std::nullopt;
    // strtod reads '.' as the decimal point: the tool never calls setlocale, so it runs in "C".
    std::string copy(text);
    return std::strtod(copy.c_str(), nullptr);
}

std::int64_t floor_to_int64(double value) {
    auto whole = static_cast<std::int64_t>(value);  // truncates toward zero
    return static_cast<double>(whole) > value ? whole - 1 : whole;
}

std::int64_t round_to_int64(double value) {
    std::int64_t whole = floor_to_int64(value);
    double fraction = value - static_cast<double>(whole);  // in [0, 1)
    if (fraction > 0.5) return whole + 1;
    if (fraction < 0.5) return whole;
    return value < 0 ? whole : whole + 1;  // a half: away from zero
}

}  // namespace swarmpki
