// Reading files the careful way, and writing them atomically.
//
// Reads refuse anything over a size cap (1 MiB by default: no swarm PEM file is near it), report
// dangling symlinks as such, and never follow a path the caller did not give. Writes go to a
// temporary file in the same directory, are fsynced, and are renamed into place only on an
// explicit commit(); an AtomicFile destroyed without commit leaves nothing behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// read_file that also says which file it read: the fstat of the descriptor it read from (taken
// before reading when `known` is no, after it when yes: one fstat either way).
std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           FileIdentity& read, std::size_t limit = kDefaultReadLimit);
std::string read_file(const std::string& path, FileIdentity& read,
                      std::size_t limit = kDefaultReadLimit);

// The read loop under both: reads `fd` to its end (a read that returns zero; a short read is
// not one) into `buffer` from its start, growing it as needed, never shrinking it, and stopping
// once more than `limit` bytes are in. The number of bytes read; nullopt, with errno, when a
// read fails.
std::optional<std::size_t> read_to_end(int fd, std::string& buffer, std::size_t limit);

// What lstat/stat say about a path, without reading it.
struct FileFacts {
    bool exists = false;        // lstat succeeded
    bool is_symlink = false;
    bool dangling = false;      // a symlink whose target does not exist
    bool is_regular = false;    // after following a symlink
    bool is_directory = false;  // after following a symlink
    std::uint32_t mode = 0;     // permission bits (07777) of the target
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint64_t size = 0;
    std::string owner;          // user name, or the uid as text
    std::string group;
    std::string symlink_target;  // as stored in the link
    std::string resolved;        // realpath, when it resolves
};

FileFacts file_facts(const std::string& path);

// "0644"
std::string format_mode(std::uint32_t mode);

enum class Overwrite { no, yes };

class AtomicFile {
public:
    // Refuses (swarmpki::Error) when `path` exists and overwrite is no.
    AtomicFile(std::string path, std::uint32_t mode, Overwrite overwrite = Overwrite::no);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::string_view bytes);
    // fsync, rename into place, fsync the directory.
    void commit();

private:
    std::string path_;
    std::string temp_path_;
    std::uint32_t mode_;
    Overwrite overwrite_;
    int fd_ = -1;
    bool committed_ = false;
};

// Convenience: the whole content in one go.
void write_file_atomically(const std::string& path, std::string_view bytes, std::uint32_t mode,
                           Overwrite overwrite = Overwrite::no);

// Creates a directory (and parents) with the given mode if missing.
void ensure_directory(const std::string& path, std::uint32_t mode = 0755);

}  // namespace swarmpki
