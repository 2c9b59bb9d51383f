#include "swarmpki/file.hpp"

#include "swarmpki/error.hpp"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

namespace swarmpki {

namespace {

Error open_error(const std::string& path, int err) {
    switch (err) {
        case ENOENT: {
            struct stat link {};
            if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
                return Error(path, "dangling symlink", "restore the file it points to",
                             ReadFailure::broken_symlink);
            return Error(path, "no such file", "check the path", ReadFailure::not_found);
        }
        case EACCES:
        case EPERM:
            return Error(path, "permission denied", "run as root or as the file's owner",
                         ReadFailure::permission_denied);
        case ELOOP:
            return Error(path, "too many levels of symlinks", "fix the symlink loop",
                         ReadFailure::broken_symlink);
        case EISDIR:
            return Error(path, "is a directory, expected a file", "remove or rename it",
                         ReadFailure::not_a_file);
        default:
            return Error(path, std::strerror(err), {}, ReadFailure::read_failed);
    }
}

std::string name_of_user(std::uint32_t uid) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buffer[1024];
    if (::getpwuid_r(uid, &pw, buffer, sizeof buffer, &found) == 0 && found) return pw.pw_name;
    return std::to_string(uid);
}

std::string name_of_group(std::uint32_t gid) {
    struct group gr {};
    struct group* found = nullptr;
    char buffer[1024];
    if (::getgrgid_r(gid, &gr, buffer, sizeof buffer, &found) == 0 && found) return gr.gr_name;
    return std::to_string(gid);
}

}  // namespace

std::optional<std::size_t> read_to_end(int fd, std::string& buffer, std::size_t limit) {
    std::size_t filled = 0;
    for (;;) {
        if (filled == buffer.size()) {
            if (filled > limit) break;
            // Room for one byte past the limit, so that a file over it is seen to be.
            buffer.resize(std::min(limit + 1, std::max<std::size_t>(2 * filled, 16 * 1024)));
        }
        ssize_t got = ::read(fd, buffer.data() + filled, buffer.size() - filled);
        if (got < 0) {
            if (errno == EINTR) continue;
            return std::nullopt;
        }
        if (got == 0) break;  // a short read is not the end: only zero is
        filled += static_cast<std::size_t>(got);
    }
    return filled;
}

namespace {

Error too_large(const std::string& path, std::uint64_t size, std::size_t limit) {
    if (size <= limit)  // the stat saw it within the limit: it grew while we read it
        return Error(path, "file grew over the " + std::to_string(limit) + "-byte limit", {},
                     ReadFailure::too_large);
    return Error(path, "file is " + std::to_string(size) + " bytes, over the " +
                           std::to_string(limit) + "-byte limit",
                 "a swarm PEM file is a few KiB; check the path", ReadFailure::too_large);
}

struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

FileIdentity identity_of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// The one read: open, (fstat,) read to the end from that descriptor; `read`, when given, gets the
// descriptor's identity.
std::string_view read_through_fd(const std::string& path, std::string& buffer, KnownRegular known,
                                 FileIdentity* read, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) throw open_error(path, errno);
    FdCloser closer{fd};
    struct stat st {};
    if (known == KnownRegular::no) {
        if (::fstat(fd, &st) != 0) throw open_error(path, errno);
        if (S_ISDIR(st.st_mode)) throw open_error(path, EISDIR);
        if (!S_ISREG(st.st_mode))
            throw Error(path, "not a regular file", "point at the file itself",
                        ReadFailure::not_a_file);
        if (static_cast<std::uint64_t>(st.st_size) > limit)
            throw too_large(path, static_cast<std::uint64_t>(st.st_size), limit);
        // Room for the whole file and the end-of-file read, in one allocation.
        auto room = static_cast<std::size_t>(st.st_size) + 1;
        if (buffer.size() < room) buffer.resize(room);
    }
    auto filled = read_to_end(fd, buffer, limit);
    if (!filled) throw open_error(path, errno);
    if (*filled > limit) {
        // Unstat'ed (or grown): the size for the message, on this rare path only.
        if (known == KnownRegular::yes && ::fstat(fd, &st) != 0) st.st_size = 0;
        throw too_large(path, static_cast<std::uint64_t>(st.st_size), limit);
    }
    if (read) {
        if (known == KnownRegular::yes && ::fstat(fd, &st) != 0) throw open_error(path, errno);
        *read = identity_of(st);
    }
    return {buffer.data(), *filled};
}

}  // namespace

std::optional<FileIdentity> path_identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return identity_of(st);
}

std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           std::size_t limit) {
    return read_through_fd(path, buffer, known, nullptr, limit);
}

std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           FileIdentity& read, std::size_t limit) {
    return read_through_fd(path, buffer, known, &read, limit);
}

std::string read_file(const std::string& path, FileIdentity& read, std::size_t limit) {
    std::string bytes;
    bytes.resize(read_through_fd(path, bytes, KnownRegular::no, &read, limit).size());
    return bytes;
}

std::string read_file(const std::string& path, std::size_t limit) {
    std::string bytes;
    bytes.resize(read_file(path, bytes, KnownRegular::no, limit).size());
    return bytes;
}

FileFacts file_facts(const std::string& path) {
    FileFacts facts;
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0) return facts;
    facts.exists = true;
    facts.is_symlink = S_ISLNK(link.st_mode);
    if (facts.is_symlink) {
        char target[PATH_MAX];
        ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
        if (n >= 0) facts.symlink_target.assign(target, static_cast<std::size_t>(n));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        facts.dangling = facts.is_symlink;
        st = link;
    }
    facts.is_regular = S_ISREG(st.st_mode);
    facts.is_directory = S_ISDIR(st.st_mode);
    facts.mode = st.st_mode & 07777;
    facts.uid = st.st_uid;
    facts.gid = st.st_gid;
    facts.size = static_cast<std::uint64_t>(st.st_size);
    facts.owner = name_of_user(st.st_uid);
    facts.group = name_of_group(st.st_gid);
    if (char* real = ::realpath(path.c_str(), nullptr)) {
        facts.resolved = real;
        std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath allocates with malloc
    }
    return facts;
}

std::string format_mode(std::uint32_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", mode & 07777);
    return buffer;
}

AtomicFile::AtomicFile(std::string path, std::uint32_t mode, Overwrite overwrite)
    : path_(std::move(path)), mode_(mode), overwrite_(overwrite) {
    struct stat st {};
    if (overwrite_ == Overwrite::no && ::lstat(path_.c_str(), &st) == 0)
        throw Error(path_, "already exists", "remove it or pass --force");
    std::filesystem::path target(path_);
    std::random_device random;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
        temp_path_ = (target.parent_path() / (".tmp-" + target.filename().string() + "-" +
                                              std::to_string(random())))
                         .string();
        fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                     static_cast<mode_t>(mode_));
        if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) throw Error(path_, std::string("cannot create: ") + std::strerror(errno));
    ::fchmod(fd_, static_cast<mode_t>(mode_));  // the umask must not widen or narrow key modes
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path_, std::string("write failed: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) throw Error(path_, std::string("fsync failed: ") + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    if (overwrite_ == Overwrite::no) {
        // link() fails if the target appeared meanwhile, so we never replace a file by accident.
        if (::link(temp_path_.c_str(), path_.c_str()) != 0)
            throw Error(path_, std::string("cannot create: ") + std::strerror(errno),
                        errno == EEXIST ? "remove it or pass --force" : "");
        ::unlink(temp_path_.c_str());
    } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        throw Error(path_, std::string("rename failed: ") + std::strerror(errno));
    }
    committed_ = true;
    std::string dir = std::filesystem::path(path_).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

void write_file_atomically(const std::string& path, std::string_view bytes, std::uint32_t mode,
                           Overwrite overwrite) {
    AtomicFile file(path, mode, overwrite);
    file.write(bytes);
    file.commit();
}

void ensure_directory(const std::string& path, std::uint32_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw Error(path, "cannot create directory: " + ec.message());
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

}  // namespace swarmpki
