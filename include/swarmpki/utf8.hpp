// The one UTF-8 rule every renderer uses (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no lead bytes 0xC0, 0xC1 or 0xF5..0xFF.
//
// Directory names, certificate subjects and file contents are arbitrary bytes; JSON, the
// Prometheus text format, logfmt and Nagios lines must all be valid UTF-8, or the parser at the
// other end rejects the whole document. Each escaper keeps its own rules for ASCII specials and
// asks this module only one question: how long is the valid sequence here, if there is one.
#pragma once

// Util layer (1): includable from every layer.

#include <cstddef>
#include <string>
#include <string_view>

namespace swarmpki {

// U+FFFD, written in place of every byte that does not start a valid sequence.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length (1 to 4) of the valid UTF-8 sequence that starts at text[i], or 0 when the bytes there
// are not one (a stray continuation byte, a bad lead byte, a truncated, overlong or surrogate
// sequence, a code point above U+10FFFF). `i` must be < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept;

bool is_valid_utf8(std::string_view text) noexcept;

// Appends the sequence at text[i] to `out` when it is valid, else U+FFFD; returns how many bytes
// of `text` that took (at least 1). The step every escaper takes for a byte it has no rule for.
std::size_t append_utf8_sequence(std::string& out, std::string_view text, std::size_t i);

// `text` with every byte that does not start a valid sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// `text` for one line of a display or a plugin: invalid UTF-8 becomes U+FFFD, every ASCII
// control character (and DEL) `control`, and `special` (when not NUL) `special_as`. Cluster
// text and Nagios lines differ only in these replacements.
std::string to_one_line_utf8(std::string_view text, char control, char special = '\0',
                             char special_as = '\0');

}  // namespace swarmpki
