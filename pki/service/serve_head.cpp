// The front's look at a request head: its end, its method, and whether it announces a body.
#include "serve_head.hpp"

#include <algorithm>
#include <cctype>

namespace swarmpki::serve_detail {

namespace {

std::string_view trim(std::string_view text) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && blank(text.back())) text.remove_suffix(1);
    return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// "0", "00": no body. Anything else, including a value cpp-httplib would fail to parse, may be
// read as a length by someone, so it is refused rather than guessed at.
bool zero_length(std::string_view value) {
    return !value.empty() &&
           std::all_of(value.begin(), value.end(), [](char c) { return c == '0'; });
}

}  // namespace

HeadVerdict HeadScanner::check_method(std::string_view buffer) const {
    for (std::string_view allowed : {std::string_view("GET "), std::string_view("HEAD ")}) {
        std::size_t n = std::min(buffer.size(), allowed.size());
        if (buffer.substr(0, n) != allowed.substr(0, n)) continue;
        return n == allowed.size() ? HeadVerdict::complete : HeadVerdict::incomplete;
    }
    return HeadVerdict::bad_method;
}

// A header line's verdict: has_body, or complete for "nothing to refuse here".
HeadVerdict HeadScanner::check_field(std::string_view line) const {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return HeadVerdict::complete;  // cpp-httplib's to judge
    std::string_view name = trim(line.substr(0, colon));
    if (equals_ignoring_case(name, "transfer-encoding")) return HeadVerdict::has_body;
    if (equals_ignoring_case(name, "content-length") && !zero_length(trim(line.substr(colon + 1))))
        return HeadVerdict::has_body;
    return HeadVerdict::complete;
}

HeadVerdict HeadScanner::feed(std::string_view buffer) {
    if (!method_checked_) {
        HeadVerdict method = check_method(buffer);
        if (method != HeadVerdict::complete) return method;  // bad_method, or too few bytes yet
        method_checked_ = true;
    }
    while (true) {
        std::size_t newline = buffer.find('\n', std::max(line_start_, searched_));
        if (newline == std::string_view::npos) break;
        std::string_view line = buffer.substr(line_start_, newline + 1 - line_start_);
        line_start_ = newline + 1;
        if (!request_line_done_) {
            request_line_done_ = true;
            continue;
        }
        if (line == "\r\n") {
            length_ = line_start_;
            return HeadVerdict::complete;
        }
        if (++fields_ > limits_.max_fields) return HeadVerdict::too_large;
        if (HeadVerdict field = check_field(line); field != HeadVerdict::complete) return field;
    }
    searched_ = buffer.size();
    return buffer.size() >= limits_.max_bytes ? HeadVerdict::too_large : HeadVerdict::incomplete;
}

void HeadScanner::reset() {
    line_start_ = searched_ = fields_ = length_ = 0;
    method_checked_ = request_line_done_ = false;
}

}  // namespace swarmpki::serve_detail
