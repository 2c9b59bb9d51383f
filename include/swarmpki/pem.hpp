// A PEM reader that accepts RFC 1421 headers.
//
// The engine writes key files with headers (`kek-version`, `raft-dek`, `raft-dek-pending`, and
// for legacy encrypted keys `Proc-Type`/`DEK-Info`). OpenSSL's PEM reader refuses any header block
// whose first line is not `Proc-Type` ("not proc type"), so we split blocks and headers ourselves
// and hand only the DER to OpenSSL. Line endings may be LF or CRLF, as Go's decoder accepts both.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/pem.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/encoding.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swarmpki {

struct PemHeader {
    std::string name;
    std::string value;  // may be secret (raft-dek): never print it
};

struct PemBlock {
    std::string type;  // "CERTIFICATE", "PRIVATE KEY", ...
    std::vector<PemHeader> headers;
    Bytes der;
    std::size_t line = 0;       // 1-based line of the BEGIN marker
    std::string_view original;  // the block's bytes within the parsed text, BEGIN..END line

    const PemHeader* header(std::string_view name) const;
    std::vector<std::string> header_names() const;
};

struct PemBundle {
    std::vector<PemBlock> blocks;
    bool text_outside_blocks = false;  // anything but whitespace between or around blocks
    bool crlf = false;                 // at least one CRLF line ending
};

// What went wrong, for a one-line error: "line 7: base64 body is not valid".
struct PemProblem {
    std::size_t line = 0;
    std::string message;
};

// Parses every block. Refuses: binary input (NUL or DER), no block at all, a BEGIN without END,
// mismatched END type, headers with NUL or malformed lines, invalid base64.
// The returned blocks' `original` views point into `text`, which must outlive them.
struct PemParseResult {
    std::optional<PemBundle> bundle;
    PemProblem problem;
};
PemParseResult parse_pem(std::string_view text);

// Convenience: parse or throw swarmpki::Error(path, problem, remedy, ReadFailure::bad_pem).
PemBundle parse_pem_or_throw(std::string_view text, const std::string& path);

// Re-encodes a block the canonical way (64-column base64, LF, no headers).
std::string encode_pem(std::string_view type, const Bytes& der);

}  // namespace swarmpki
