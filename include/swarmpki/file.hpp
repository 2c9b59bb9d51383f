// Reading files the careful way, and writing them atomically.
//
// Reads refuse anything over a size cap (1 MiB by default: no swarm PEM file is near it), report
// dangling symlinks as such, and never follow a path the caller did not give. Writes go to a
// temporary file in the same directory, are fsynced, and are renamed into place only on an
// explicit commit(); an AtomicFile destroyed without commit leaves nothing behind. A set of
// files that belong together (a CA directory, a node directory, a simulated cluster) is written
// as a whole directory that is swapped in at once (StagedDirectory). Output directories are opened
// without following a final symlink and written relative to their descriptor; an existing
// directory's mode is never changed. Secrets are read with a small cap and a warning when others
// can read them (read_secret_file).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/file.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/encoding.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swarmpki {

inline constexpr std::size_t kDefaultReadLimit = 1024 * 1024;

// Throws swarmpki::Error with a ReadFailure reason naming the path and the remedy.
std::string read_file(const std::string& path, std::size_t limit = kDefaultReadLimit);

// Whether the caller already knows the path is a regular file: a directory listing's d_type
// said so, which saves the stat (a system call a file, in a scan of 100,000 of them).
enum class KnownRegular { no, yes };

// read_file into `buffer`, which a caller reading many files passes again and again: it grows as
// needed and never shrinks, so its size is room, not content; the bytes are the returned view,
// valid until the next call. Same errors and messages as read_file.
std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           std::size_t limit = kDefaultReadLimit);

// Which file a read saw, for telling whether it changed meanwhile: the inode it was, its size
// and its modification time (ns). The engine replaces files by rename, so a new inode is the
// usual sign; size and mtime catch a write in place.
struct FileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// stat(2) of the path, following symlinks as open does; nullopt when it cannot be stat'ed.
std::optional<FileIdentity> path_identity(const std::string& path);

// read_file that also says which file it read: the fstat of the descriptor it read from, taken
// just before reading (one fstat, whatever `known` says).
std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           FileIdentity& read, std::size_t limit = kDefaultReadLimit);
std::string read_file(const std::string& path, FileIdentity& read,
                      std::size_t limit = kDefaultReadLimit);

// read_file for a file that may well be absent (the engine's .swarm-node.crt): nullopt when
// nothing is at the path, without the cost of an exception; a dangling symlink and every other
// failure throw as read_file does.
std::optional<std::string> read_file_if_present(const std::string& path, FileIdentity& read,
                                                std::size_t limit = kDefaultReadLimit);

// realpath(3): the absolute path with every symlink resolved; nullopt when it does not resolve.
std::optional<std::string> real_path(const std::string& path);

// The read loop under both: reads `fd` to its end (a read that returns zero; a short read is
// not one) into `buffer` from its start, growing it as needed, never shrinking it, and stopping
// once more than `limit` bytes are in. `expected`, a regular file's size as an fstat just before
// saw it, also ends the read at a short read that makes exactly that many bytes (saving the
// zero-byte read that would confirm it). The number of bytes read; nullopt, with errno, when a
// read fails.
std::optional<std::size_t> read_to_end(int fd, std::string& buffer, std::size_t limit,
                                       std::optional<std::size_t> expected = std::nullopt);

// What lstat/stat say about a path, without reading it.
struct FileFacts {
    bool exists = false;  // lstat succeeded
    bool is_symlink = false;
    bool dangling = false;      // a symlink whose target does not exist
    bool is_regular = false;    // after following a symlink
    bool is_directory = false;  // after following a symlink
    std::uint32_t mode = 0;     // permission bits (07777) of the target
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint64_t size = 0;
    std::string owner;  // user name, or the uid as text
    std::string group;
    std::string symlink_target;  // as stored in the link
    std::string resolved;        // a symlink's realpath, when it resolves; empty for others
};

// User and group names, each looked up once: every lookup asks the name service afresh (it opens
// /etc/passwd and /etc/group, tries nscd, maybe asks LDAP), and a directory's files share one
// owner. One per directory read; not shared between threads.
class AccountNames {
public:
    const std::string& user(std::uint32_t uid);   // the name, or the uid as text
    const std::string& group(std::uint32_t gid);  // the name, or the gid as text

private:
    std::vector<std::pair<std::uint32_t, std::string>> users_;
    std::vector<std::pair<std::uint32_t, std::string>> groups_;
};

FileFacts file_facts(const std::string& path, AccountNames& names);
FileFacts file_facts(const std::string& path);  // a one-off lookup, with names of its own

// "0644"
std::string format_mode(std::uint32_t mode);

// An owned file descriptor (a file, a directory, a socket, an eventfd): closed exactly once, by
// its owner, whatever throws. The one descriptor wrapper of the project.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    // Closes what it holds (errors ignored: nothing is left to do about them) and takes `fd`.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

enum class Overwrite { no, yes };

class AtomicFile {
public:
    // Refuses (swarmpki::Error) when `path` exists and overwrite is no.
    // The file is created with openat relative to its directory, opened once; mode is exact
    // whatever the umask.
    AtomicFile(std::string path, std::uint32_t mode, Overwrite overwrite = Overwrite::no);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::string_view bytes);
    // fsync, rename into place, fsync the directory.
    void commit();

private:
    std::string path_;
    std::string name_;       // the file's name inside its directory
    std::string temp_name_;  // the temporary file's name there
    std::uint32_t mode_;
    Overwrite overwrite_;
    Fd dir_fd_;
    Fd fd_;
    bool committed_ = false;
};

// Convenience: the whole content in one go.
void write_file_atomically(const std::string& path, std::string_view bytes, std::uint32_t mode,
                           Overwrite overwrite = Overwrite::no);

// Creates a directory (and parents) with the given mode if missing; the mode is set explicitly,
// so the umask neither widens nor narrows it. An existing directory is left as it is.
void ensure_directory(const std::string& path, std::uint32_t mode = 0755);

// ---- output and CA directories ----------------------------------------------------------------
// Refuses (swarmpki::Error: the path, the problem, the remedy) a directory that is not owned by
// the effective user or that group or other may write: whoever can change it can replace the keys
// written into it or planted before they are read. `fd` is the open directory.
void check_directory_is_callers(int fd, const std::string& path);
// The same for a directory given by path (symlinks followed: a --ca may be a link).
void check_directory_is_callers(const std::string& path);

// A directory written as a whole. Files go into a fresh sibling (".NAME.swarmpki-XXXXXX", mode
// 0700 while it is filled), each created exclusively with its exact mode and fsynced; commit()
// fsyncs the tree and swaps it in with one rename (renameat2 RENAME_EXCHANGE for an existing
// directory, where the file system has it; else old aside, new in, old removed). So a failure at
// any file, or a crash, leaves the old set whole, and nothing half-written is ever visible.
//
// The target's last component is opened with O_NOFOLLOW: a symlink is refused, never written
// through. Missing parents are created 0755. An existing target must be the caller's and not
// writable by group or other (check_directory_is_callers). With Overwrite::no it must be empty;
// with Overwrite::yes it may hold only `names` (the top-level entries this set writes), since
// everything in it is replaced. The new directory takes the old one's mode and group (a 0700 CA
// directory stays 0700), or 0755 when there was none.
class StagedDirectory {
public:
    StagedDirectory(std::string path, Overwrite overwrite, std::vector<std::string> names);
    ~StagedDirectory();  // removes the staging directory unless committed
    StagedDirectory(const StagedDirectory&) = delete;
    StagedDirectory& operator=(const StagedDirectory&) = delete;

    // Writes `relative` ("swarm-node.key", or "nodes/<id>/swarm-node.key": subdirectories are
    // created 0755). Safe from several threads for distinct files.
    void write(const std::string& relative, std::string_view bytes, std::uint32_t mode);
    void commit();
    const std::string& path() const { return path_; }

private:
    void swap_in();
    void remove_staging();

    std::string path_;
    std::string name_;          // the target's name in its parent
    std::string staging_name_;  // the staging directory's name there
    Fd parent_fd_;
    Fd staging_fd_;
    bool target_exists_ = false;
    std::uint32_t final_mode_ = 0755;
    std::optional<std::uint32_t> final_group_;  // the replaced directory's
    bool committed_ = false;
};

namespace file_detail {
// Test seam: called with each file's relative path before StagedDirectory::write creates it; a
// throw there stands for a failed write (disk full, I/O error). Null in production.
extern std::function<void(const std::string& relative)> before_staged_write;
}  // namespace file_detail

// ---- secrets ----------------------------------------------------------------------------------
// Secrets (unlock keys, TLS keys, webhook secrets) are small; a cap keeps a wrong path, a FIFO or
// a pipe that never ends from filling memory. 4 KiB holds an unlock key (52 bytes) or a webhook
// secret many times over; a TLS key file with headers needs more: pass kSecretPemReadLimit.
inline constexpr std::size_t kSecretReadLimit = 4 * 1024;
inline constexpr std::size_t kSecretPemReadLimit = 64 * 1024;

struct SecretFile {
    SecretBytes bytes;                   // the whole content, wiped when destroyed
    std::optional<std::string> warning;  // one line (path, problem, remedy), never the content
};

// Reads a secret from a regular file or a FIFO (`<(cmd)`, /dev/stdin on a pipe): at most `limit`
// bytes, else swarmpki::Error naming the path and the cap. A file that group or other can read
// or change gives a `warning` ("PATH: mode 0644 lets other users read this secret (chmod 600
// PATH)") for the caller to show; the read still succeeds.
SecretFile read_secret_file(const std::string& path, std::size_t limit = kSecretReadLimit);

// The one rule for a secret's file mode, shared by every secret input (unlock key, TLS key,
// webhook secret and URL file): group or other may read or change it (mode & 066). Returns the
// warning line read_secret_file gives, or nullopt.
std::optional<std::string> secret_permission_warning(const std::string& path, std::uint32_t mode);

// Reads one line (without its line break) from `fd` (standard input), at most `limit` bytes
// before the line break, else swarmpki::Error(subject, ...). Reads stop at the first line break
// or the end of input.
SecretBytes read_secret_line(int fd, const std::string& subject,
                             std::size_t limit = kSecretReadLimit);

// Makes this process non-dumpable (prctl PR_SET_DUMPABLE 0: no core dump, no ptrace attach by
// other processes of the same user, /proc/PID/mem closed to them) and sets RLIMIT_CORE to 0, so a
// crash while a secret is in memory does not write it to disk. Call before reading the secret.
void keep_secrets_out_of_core_dumps();

}  // namespace swarmpki
