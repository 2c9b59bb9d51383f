// What the bounded front needs to know about a request head before cpp-httplib parses it: where
// it ends, and whether it must be refused unread (internal).
//
// This is not an HTTP parser. It splits the bytes received so far into lines the way
// cpp-httplib's reader does ('\n'-terminated; the head ends at the first line that is exactly
// "\r\n" after the request line), and looks at three things only: the method token, any
// Transfer-Encoding field, and Content-Length values. Everything else (the request line's
// syntax, header syntax, the URI limit) stays cpp-httplib's. Where the two could read a line
// differently (a field name with surrounding whitespace, a bare-LF line cpp-httplib skips) the
// scanner is the stricter: it refuses what cpp-httplib might take for a body.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_head.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include <cstddef>
#include <string_view>

namespace swarmpki::serve_detail {

enum class HeadVerdict {
    incomplete,  // no end of head yet, and within the limits: read more
    complete,    // `length` bytes form a GET/HEAD head without a body
    bad_method,  // not GET or HEAD (405)
    has_body,    // Transfer-Encoding, or a Content-Length other than 0 (413)
    too_large,   // more than max_bytes without an end of head, or too many fields (431)
};

struct HeadLimits {
    std::size_t max_bytes = 16 * 1024;
    std::size_t max_fields = 64;
};

// Incremental: feed() is given the whole buffer each time (it only grows between calls) and
// resumes at the first line it has not finished, so a head trickled a byte at a time costs
// O(length) in total, not O(length^2). reset() before the next request's bytes.
class HeadScanner {
public:
    explicit HeadScanner(HeadLimits limits) : limits_(limits) {}

    HeadVerdict feed(std::string_view buffer);
    std::size_t length() const { return length_; }  // valid when feed() said complete
    void reset();

private:
    HeadVerdict check_method(std::string_view buffer) const;
    HeadVerdict check_field(std::string_view line) const;

    HeadLimits limits_;
    std::size_t line_start_ = 0;  // first byte of the line not yet judged
    std::size_t searched_ = 0;    // bytes already searched for '\n'
    std::size_t fields_ = 0;
    bool method_checked_ = false;
    bool request_line_done_ = false;
    std::size_t length_ = 0;
};

}  // namespace swarmpki::serve_detail
