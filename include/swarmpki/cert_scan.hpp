// Finding certificate files across a fleet's collected directories (the expiry scan loads them).
//
// A fleet scan must survive whatever it finds: an unreadable, missing, oversized, dangling or
// non-PEM file becomes a ScanError under a stable reason and the scan goes on. The plan groups
// work into units, so that a node directory's swarm-node.crt and swarm-root-ca.crt are read by
// the same worker (their relation, not just their dates, is what a rotation check needs), and
// every file is read and parsed exactly once.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/cert_scan.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/threads.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace swarmpki {

// Stable reasons used in JSON `errors[]` and the `swarmpki_scan_errors` metric.
enum class ScanReason {
    permission_denied,
    not_found,
    broken_symlink,
    bad_pem,
    too_large,
    read_failed
};
inline constexpr ScanReason kAllScanReasons[] = {
    ScanReason::permission_denied, ScanReason::not_found, ScanReason::broken_symlink,
    ScanReason::bad_pem,           ScanReason::too_large, ScanReason::read_failed};

std::string_view to_string(ScanReason reason);
// Folds the core's ReadFailure into the six scan reasons (a FIFO or other non-file: read_failed).
ScanReason scan_reason(ReadFailure failure);

struct ScanError {
    std::string path;
    ScanReason reason;
    std::string message;  // the one-line "path: problem (remedy)"
};

// One unit of work.
struct ScanUnit {
    enum class Kind { node_directory, certificate_file };
    Kind kind = Kind::certificate_file;
    std::string path;  // the directory for node_directory, else the file
    // Named on the command line (strict: a file without certificates is an error) or found in
    // a tree (lenient: a well-formed PEM file holding only keys is skipped).
    bool explicit_path = false;
    // What a tree walk saw in the directory listing (its d_type), so that loading needs no
    // stat; all false for a unit named on the command line, which is then checked in full.
    bool listed = false;
    bool regular_file = false;                                  // certificate_file
    bool node_cert_regular = false, root_file_regular = false;  // node_directory
    bool key_listed = false;                                    // node_directory
    // The inodes the listing gave for swarm-node.crt and swarm-root-ca.crt (d_ino): a file read
    // with the same inode is the file listed, so the two were read together without a stat.
    std::uint64_t node_cert_inode = 0, root_file_inode = 0;  // node_directory
    bool pending_cert_listed = false;  // a .swarm-node.crt beside them (renewal.hpp)
    // swarm-root-ca.key and no swarm-node.crt: a CA directory (`ca init --out`), no node's.
    DirectoryKind directory = DirectoryKind::node;  // node_directory
};

struct ScanPlan {
    std::vector<ScanUnit> units;    // sorted by path, so reports are stable
    std::vector<ScanError> errors;  // paths that do not exist, unreadable directories
};

// A PATH is a node directory, a certificate file, or a tree searched recursively for
// swarm-node.crt, swarm-root-ca.crt and other *.crt / *.pem files. Directory symlinks are not
// followed (no loops); file symlinks are, and a dangling one is reported. Hidden entries
// (".swarm-node.crt", ".tmp-*": interrupted engine writes) are skipped. Trees are walked on
// `threads` workers (default: every core); the plan is the same for any number. Errors come in
// the order of the PATH arguments, and sorted by path within a tree. `threads` counts as
// thread_count does (0: every core).
ScanPlan plan_scan(std::span<const std::string> paths);
ScanPlan plan_scan(std::span<const std::string> paths, unsigned threads);

// How a certificate file's blocks are read. Strict (a file named on the command line): every
// block must be a certificate. Lenient (a file found in a tree): other blocks are ignored.
enum class Strictness { strict, lenient };

}  // namespace swarmpki
