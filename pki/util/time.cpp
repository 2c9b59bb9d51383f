#include "swarmpki/time.hpp"

#include "swarmpki/decimal.hpp"

#include <cctype>
#include <cmath>
#include <ctime>

namespace swarmpki {

Instant wall_clock_now() {
    return std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
}

std::int64_t unix_seconds(Instant instant) { return instant.time_since_epoch().count(); }
Instant from_unix_seconds(std::int64_t seconds) { return Instant(Seconds(seconds)); }

namespace {

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        char c = text[pos + i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool expect(std::string_view text, std::size_t& pos, char wanted) {
    if (pos >= text.size() || std::toupper(static_cast<unsigned char>(text[pos])) != wanted)
        return false;
    ++pos;
    return true;
}

// Days from 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<Instant> parse_rfc3339(std::string_view text) {
    std::size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, day) || !expect(text, pos, 'T') ||
        !read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, second))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                    std::chrono::day(day)};
    if (!ymd.ok()) return std::nullopt;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
        if (pos == start) return std::nullopt;
    }
    std::int64_t offset = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!read_digits(text, pos, 2, oh) || !expect(text, pos, ':') ||
            !read_digits(text, pos, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    std::int64_t days = days_from_civil(year, static_cast<unsigned>(month),
                                        static_cast<unsigned>(day));
    std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    return from_unix_seconds(seconds);
}

std::string format_rfc3339(Instant instant) {
    auto days = std::chrono::floor<std::chrono::days>(instant);
    std::chrono::year_month_day ymd{days};
    auto rest = instant - days;
    auto h = std::chrono::duration_cast<std::chrono::hours>(rest);
    auto m = std::chrono::duration_cast<std::chrono::minutes>(rest - h);
    auto s = rest - h - m;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                  static_cast<int>(m.count()), static_cast<int>(s.count()));
    return buffer;
}

std::optional<Seconds> parse_duration(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    if (text == "0") return Seconds(0);
    double total = 0;
    std::size_t pos = 0;
    if (text[0] == '+') pos = 1;
    if (pos >= text.size()) return std::nullopt;
    while (pos < text.size()) {
        std::size_t start = pos;
        while (pos < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.'))
            ++pos;
        if (pos == start) return std::nullopt;
        std::optional<double> number = parse_plain_decimal(text.substr(start, pos - start));
        if (!number) return std::nullopt;
        double value = *number;
        std::size_t unit_start = pos;
        while (pos < text.size() && !std::isdigit(static_cast<unsigned char>(text[pos])) &&
               text[pos] != '.')
            ++pos;
        std::string_view unit = text.substr(unit_start, pos - unit_start);
        double scale = 0;
        if (unit == "ns") scale = 1e-9;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e-6;
        else if (unit == "ms") scale = 1e-3;
        else if (unit == "s") scale = 1;
        else if (unit == "m") scale = 60;
        else if (unit == "h") scale = 3600;
        else if (unit == "d") scale = 86400;
        else if (unit == "w") scale = 7 * 86400;
        else return std::nullopt;
        total += value * scale;
    }
    if (!std::isfinite(total) || total > 9.2e15) return std::nullopt;
    return Seconds(round_to_int64(total));
}

namespace {
std::string count_of(std::int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string span_words(std::int64_t s) {
    if (s >= 2 * 365 * 86400) return count_of(s / (365 * 86400), "year");
    if (s >= 2 * 86400) return count_of(s / 86400, "day");
    if (s >= 2 * 3600) return count_of(s / 3600, "hour");
    if (s >= 2 * 60) return count_of(s / 60, "minute");
    return count_of(s, "second");
}
}  // namespace

std::string format_relative(Instant when, Instant now) {
    std::int64_t delta = unix_seconds(when) - unix_seconds(now);
    if (delta == 0) return "now";
    if (delta > 0) return "in " + span_words(delta);
    return span_words(-delta) + " ago";
}

std::string format_duration(Seconds duration) {
    std::int64_t s = duration.count();
    std::string sign = s < 0 ? "-" : "";
    if (s < 0) s = -s;
    std::int64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
    std::string out = sign;
    if (d) out += std::to_string(d) + "d";
    if (h) out += std::to_string(h) + "h";
    if (m && d == 0) out += std::to_string(m) + "m";
    if (sec && d == 0 && h == 0) out += std::to_string(sec) + "s";
    if (out == sign) out += "0s";
    return out;
}

}  // namespace swarmpki
