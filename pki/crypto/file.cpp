#include "swarmpki/file.hpp"

#include "swarmpki/error.hpp"

#include <openssl/crypto.h>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>  // renameat2
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <utility>

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
        default: return Error(path, std::strerror(err), {}, ReadFailure::read_failed);
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

std::optional<std::size_t> read_to_end(int fd, std::string& buffer, std::size_t limit,
                                       std::optional<std::size_t> expected) {
    std::size_t filled = 0;
    for (;;) {
        if (filled == buffer.size()) {
            if (filled > limit) break;
            // Room for one byte past the limit, so that a file over it is seen to be.
            buffer.resize(std::min(limit + 1, std::max<std::size_t>(2 * filled, 16 * 1024)));
        }
        std::size_t asked = buffer.size() - filled;
        ssize_t got = ::read(fd, buffer.data() + filled, asked);
        if (got < 0) {
            if (errno == EINTR) continue;
            return std::nullopt;
        }
        if (got == 0) break;  // a short read is not the end: only zero is, ...
        filled += static_cast<std::size_t>(got);
        // ... unless it brought in exactly the size the stat just saw: the zero read would only
        // confirm it. A file that grew reads on (a byte more was asked for than the stat saw).
        if (expected && filled == *expected && static_cast<std::size_t>(got) < asked) break;
    }
    return filled;
}

namespace {

Error too_large(const std::string& path, std::uint64_t size, std::size_t limit) {
    if (size <= limit)  // the stat saw it within the limit: it grew while we read it
        return Error(path, "file grew over the " + std::to_string(limit) + "-byte limit", {},
                     ReadFailure::too_large);
    return Error(path,
                 "file is " + std::to_string(size) + " bytes, over the " + std::to_string(limit) +
                     "-byte limit",
                 "a swarm PEM file is a few KiB; check the path", ReadFailure::too_large);
}

FileIdentity identity_of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// Whether nothing at the path is an answer (the caller asks "is it there?") or an error.
enum class Absent { error, answer };

// The one read: open, (fstat,) read to the end from that descriptor; `read`, when given, gets the
// descriptor's identity as the fstat before the read saw it, so that a write during the read
// shows as a change. nullopt only for Absent::answer and nothing at the path: a dangling symlink
// is still an error.
std::optional<std::string_view> read_through_fd(const std::string& path, std::string& buffer,
                                                KnownRegular known, FileIdentity* read,
                                                std::size_t limit, Absent absent = Absent::error) {
    Fd owned(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    int fd = owned.get();
    if (fd < 0) {
        // open_error's lstat tells a dangling symlink (an error) from nothing there (an answer).
        Error error = open_error(path, errno);
        if (absent == Absent::answer && error.reason() == ReadFailure::not_found)
            return std::nullopt;
        throw Error(std::move(error));
    }
    struct stat st {};
    std::optional<std::size_t> expected;  // the size the stat saw
    if (known == KnownRegular::no || read != nullptr) {
        if (::fstat(fd, &st) != 0) throw open_error(path, errno);
        if (S_ISDIR(st.st_mode)) throw open_error(path, EISDIR);
        if (!S_ISREG(st.st_mode))
            throw Error(path, "not a regular file", "point at the file itself",
                        ReadFailure::not_a_file);
        if (static_cast<std::uint64_t>(st.st_size) > limit)
            throw too_large(path, static_cast<std::uint64_t>(st.st_size), limit);
        expected = static_cast<std::size_t>(st.st_size);
        // Room for the whole file and a byte more, in one allocation.
        if (buffer.size() < *expected + 1) buffer.resize(*expected + 1);
    }
    auto filled = read_to_end(fd, buffer, limit, expected);
    if (!filled) throw open_error(path, errno);
    if (*filled > limit) {
        // Unstat'ed (or grown): the size for the message, on this rare path only.
        if (!expected && ::fstat(fd, &st) != 0) st.st_size = 0;
        throw too_large(path, static_cast<std::uint64_t>(st.st_size), limit);
    }
    if (read) *read = identity_of(st);
    return std::string_view(buffer.data(), *filled);
}

}  // namespace

std::optional<FileIdentity> path_identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return identity_of(st);
}

std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           std::size_t limit) {
    return *read_through_fd(path, buffer, known, nullptr, limit);
}

std::string_view read_file(const std::string& path, std::string& buffer, KnownRegular known,
                           FileIdentity& read, std::size_t limit) {
    return *read_through_fd(path, buffer, known, &read, limit);
}

std::string read_file(const std::string& path, FileIdentity& read, std::size_t limit) {
    std::string bytes;
    bytes.resize(read_through_fd(path, bytes, KnownRegular::no, &read, limit)->size());
    return bytes;
}

std::optional<std::string> read_file_if_present(const std::string& path, FileIdentity& read,
                                                std::size_t limit) {
    std::string bytes;
    auto got = read_through_fd(path, bytes, KnownRegular::no, &read, limit, Absent::answer);
    if (!got) return std::nullopt;
    bytes.resize(got->size());
    return bytes;
}

std::optional<std::string> real_path(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), std::free);
    if (!real) return std::nullopt;
    return std::string(real.get());
}

std::string read_file(const std::string& path, std::size_t limit) {
    std::string bytes;
    bytes.resize(read_file(path, bytes, KnownRegular::no, limit).size());
    return bytes;
}

namespace {

const std::string& remembered(std::vector<std::pair<std::uint32_t, std::string>>& known,
                              std::uint32_t id, std::string (*look_up)(std::uint32_t)) {
    for (const auto& [known_id, name] : known)
        if (known_id == id) return name;
    return known.emplace_back(id, look_up(id)).second;
}

}  // namespace

const std::string& AccountNames::user(std::uint32_t uid) {
    return remembered(users_, uid, name_of_user);
}

const std::string& AccountNames::group(std::uint32_t gid) {
    return remembered(groups_, gid, name_of_group);
}

FileFacts file_facts(const std::string& path) {
    AccountNames names;
    return file_facts(path, names);
}

FileFacts file_facts(const std::string& path, AccountNames& names) {
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
    facts.owner = names.user(st.st_uid);
    facts.group = names.group(st.st_gid);
    // Only a link's: a realpath costs a getcwd and a readlink per path component.
    if (facts.is_symlink) facts.resolved = real_path(path).value_or(std::string());
    return facts;
}

std::string format_mode(std::uint32_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", mode & 07777);
    return buffer;
}

namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string random_suffix() {
    std::random_device random;
    char text[16];
    std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(random()));
    return text;
}

// The directory and name parts of a path for *at() calls: "a/b" -> ("a", "b"), "b" -> (".", "b").
std::pair<std::string, std::string> split_path(const std::string& path) {
    std::filesystem::path p(path);
    std::string dir = p.parent_path().string();
    return {dir.empty() ? "." : dir, p.filename().string()};
}

}  // namespace

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

AtomicFile::AtomicFile(std::string path, std::uint32_t mode, Overwrite overwrite)
    : path_(std::move(path)), mode_(mode), overwrite_(overwrite) {
    auto [dir, name] = split_path(path_);
    name_ = name;
    if (name_.empty() || name_ == "." || name_ == "..")
        throw Error(path_, "is not a file name", "give the path of the file to write");
    // One descriptor for the directory: the temporary file, the rename and the fsync all happen
    // in the same directory even if a path component is swapped meanwhile.
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // closed if we throw
    if (dir_fd.get() < 0) throw Error(path_, "cannot create: " + errno_text(errno));
    struct stat st {};
    if (overwrite_ == Overwrite::no &&
        ::fstatat(dir_fd.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        throw Error(path_, "already exists", "remove it or pass --force");
    for (int attempt = 0; attempt < 16 && fd_.get() < 0; ++attempt) {
        temp_name_ = ".tmp-" + name_ + "-" + random_suffix();
        fd_.reset(::openat(dir_fd.get(), temp_name_.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           static_cast<mode_t>(mode_)));
        if (fd_.get() < 0 && errno != EEXIST) break;
    }
    if (fd_.get() < 0) {
        int err = errno;
        temp_name_.clear();
        throw Error(path_, "cannot create: " + errno_text(err));
    }
    ::fchmod(fd_.get(),
             static_cast<mode_t>(mode_));  // the umask must not widen or narrow key modes
    dir_fd_ = std::move(dir_fd);
}

AtomicFile::~AtomicFile() {
    fd_.reset();
    if (!committed_ && !temp_name_.empty()) ::unlinkat(dir_fd_.get(), temp_name_.c_str(), 0);
}

void AtomicFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path_, std::string("write failed: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_.get()) != 0)
        throw Error(path_, std::string("fsync failed: ") + std::strerror(errno));
    fd_.reset();
    if (overwrite_ == Overwrite::no) {
        // linkat fails if the target appeared meanwhile, so we never replace a file by accident.
        if (::linkat(dir_fd_.get(), temp_name_.c_str(), dir_fd_.get(), name_.c_str(), 0) != 0)
            throw Error(path_, std::string("cannot create: ") + std::strerror(errno),
                        errno == EEXIST ? "remove it or pass --force" : "");
        ::unlinkat(dir_fd_.get(), temp_name_.c_str(), 0);
    } else if (::renameat(dir_fd_.get(), temp_name_.c_str(), dir_fd_.get(), name_.c_str()) != 0) {
        throw Error(path_, std::string("rename failed: ") + std::strerror(errno));
    }
    committed_ = true;
    ::fsync(dir_fd_.get());
}

void write_file_atomically(const std::string& path, std::string_view bytes, std::uint32_t mode,
                           Overwrite overwrite) {
    AtomicFile file(path, mode, overwrite);
    file.write(bytes);
    file.commit();
}

// ---- directories -------------------------------------------------------------------------------

namespace {

// Opens `name` in `parent` as a directory, creating it with exactly `mode` when missing. Only a
// directory made here is chmod-ed (mkdir's mode is cut by the umask, so it is set again); an
// existing one is opened as it is.
Fd open_or_make_directory(int parent, const std::string& name, std::uint32_t mode,
                          const std::string& shown, int follow) {
    bool made = ::mkdirat(parent, name.c_str(), 0700) == 0;
    if (!made && errno != EEXIST)
        throw Error(shown, "cannot create directory: " + errno_text(errno),
                    errno == EACCES ? "run as a user who may write there, or choose another path"
                                    : "");
    Fd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | follow));
    if (fd.get() < 0)
        throw Error(shown,
                    errno == ENOTDIR ? std::string("exists and is not a directory")
                                     : "cannot open directory: " + errno_text(errno),
                    errno == ENOTDIR ? "remove it or choose another path" : "");
    if (made) ::fchmod(fd.get(), static_cast<mode_t>(mode));
    return fd;
}

// Opens the directory `path`, creating missing components: parents 0755, the last `mode`.
Fd open_directory_creating(const std::string& path, std::uint32_t mode) {
    std::filesystem::path p(path);
    Fd current(::open(p.is_absolute() ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (current.get() < 0) throw Error(path, "cannot open: " + errno_text(errno));
    std::vector<std::string> parts;
    for (const auto& part : p.relative_path()) {
        std::string text = part.string();
        if (!text.empty() && text != ".") parts.push_back(text);
    }
    std::filesystem::path shown = p.is_absolute() ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        shown /= parts[i];
        bool last = i + 1 == parts.size();
        // Existing parents are followed as the kernel resolves them (a /tmp that is a link);
        // what is created here is a real directory.
        current = open_or_make_directory(current.get(), parts[i], last ? mode : 0755,
                                         shown.string(), 0);
    }
    return current;
}

// The entries of the directory `fd` but . and .., with their d_type.
std::vector<std::pair<std::string, unsigned char>> list_entries(int fd) {
    std::vector<std::pair<std::string, unsigned char>> entries;
    Fd copy(::dup(fd));
    if (copy.get() < 0) return entries;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(copy.get()), ::closedir);
    if (!dir) return entries;
    (void)copy.release();  // closedir closes what fdopendir was given
    ::rewinddir(dir.get());
    while (struct dirent* entry = ::readdir(dir.get())) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") entries.emplace_back(std::move(name), entry->d_type);
    }
    return entries;
}

bool is_directory_entry(int parent, const std::string& name, unsigned char type) {
    if (type != DT_UNKNOWN) return type == DT_DIR;
    struct stat st {};
    return ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// Removes `name` in `parent` and everything under it, never following a symlink.
void remove_tree_at(int parent, const std::string& name) {
    Fd dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() >= 0) {
        for (const auto& [entry, type] : list_entries(dir.get())) {
            if (is_directory_entry(dir.get(), entry, type)) remove_tree_at(dir.get(), entry);
            else ::unlinkat(dir.get(), entry.c_str(), 0);
        }
        dir.reset();
        ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
    } else {
        ::unlinkat(parent, name.c_str(), 0);
    }
}

// fsyncs every directory under `fd` and `fd` itself: the files were fsynced as they were written.
void fsync_tree(int fd) {
    for (const auto& [entry, type] : list_entries(fd)) {
        if (!is_directory_entry(fd, entry, type)) continue;
        Fd sub(::openat(fd, entry.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.get() >= 0) fsync_tree(sub.get());
    }
    ::fsync(fd);
}

}  // namespace

void ensure_directory(const std::string& path, std::uint32_t mode) {
    open_directory_creating(path, mode);
}

void check_directory_is_callers(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error(path, "cannot stat: " + errno_text(errno));
    uid_t me = ::geteuid();
    if (st.st_uid != me)
        throw Error(path,
                    "is owned by " + name_of_user(st.st_uid) + ", not by " + name_of_user(me) +
                        " who runs swarmpki: its owner can replace the keys in it",
                    "use a directory of your own, or `chown " + name_of_user(me) + " " + path +
                        "`");
    if ((st.st_mode & 022) != 0)
        throw Error(path,
                    "has mode " + format_mode(st.st_mode) +
                        ": other users can replace the files in it",
                    "`chmod go-w " + path + "`, or use a directory only you can write");
}

void check_directory_is_callers(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOTDIR)
            throw Error(path, "is not a directory", "give the directory itself",
                        ReadFailure::not_a_file);
        throw open_error(path, errno);
    }
    check_directory_is_callers(fd.get(), path);
}

namespace file_detail {
std::function<void(const std::string& relative)> before_staged_write;
}  // namespace file_detail

StagedDirectory::StagedDirectory(std::string path, Overwrite overwrite,
                                 std::vector<std::string> names)
    : path_(std::move(path)) {
    if (path_.empty()) throw Error("the output directory", "is empty", "give a directory path");
    // "out/" and "." name directories too; their last component is what is swapped.
    std::filesystem::path target = std::filesystem::absolute(path_).lexically_normal();
    if (!target.has_filename()) target = target.parent_path();
    name_ = target.filename().string();
    if (name_.empty() || name_ == "." || name_ == "..")
        throw Error(path_, "is not a directory that can be replaced", "give a directory below /");
    // A member from here: closed whether the constructor throws or the destructor runs.
    parent_fd_ = open_directory_creating(target.parent_path().string(), 0755);

    Fd existing(
        ::openat(parent_fd_.get(), name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (existing.get() < 0) {
        int err = errno;
        struct stat link {};
        bool symlink = ::fstatat(parent_fd_.get(), name_.c_str(), &link, AT_SYMLINK_NOFOLLOW) ==
                           0 &&
                       S_ISLNK(link.st_mode);
        if (symlink)
            throw Error(path_, "is a symlink",
                        "give the directory it points to: swarmpki never "
                        "writes through a link");
        if (err == ENOTDIR)
            throw Error(path_, "exists and is not a directory",
                        "remove it or choose another --out");
        if (err != ENOENT) throw Error(path_, "cannot open directory: " + errno_text(err));
    } else {
        check_directory_is_callers(existing.get(), path_);
        struct stat st {};
        if (::fstat(existing.get(), &st) == 0) {
            final_mode_ = st.st_mode & 07777;
            final_group_ = st.st_gid;
        }
        for (const auto& entry : list_entries(existing.get())) {
            if (overwrite == Overwrite::no)
                throw Error(path_, "already exists and is not empty",
                            "choose a new or empty directory, or pass --force to replace it");
            if (std::find(names.begin(), names.end(), entry.first) == names.end())
                throw Error((std::filesystem::path(path_) / entry.first).string(),
                            "is not something swarmpki writes here, and --force replaces the "
                            "whole directory",
                            "move it elsewhere, or choose another directory");
        }
        target_exists_ = true;
    }

    for (int attempt = 0; attempt < 16; ++attempt) {
        staging_name_ = "." + name_ + ".swarmpki-" + random_suffix();
        if (::mkdirat(parent_fd_.get(), staging_name_.c_str(), 0700) == 0) break;
        int err = errno;
        if (err != EEXIST || attempt == 15) {
            staging_name_.clear();
            throw Error(path_,
                        "cannot create a directory beside it to write into: " + errno_text(err),
                        "make its parent writable, or choose another directory");
        }
    }
    staging_fd_.reset(::openat(parent_fd_.get(), staging_name_.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (staging_fd_.get() < 0) {
        int err = errno;
        remove_staging();
        throw Error(path_, "cannot open the directory being written: " + errno_text(err));
    }
}

StagedDirectory::~StagedDirectory() {
    staging_fd_.reset();
    if (!committed_) remove_staging();
}

void StagedDirectory::remove_staging() {
    if (!staging_name_.empty()) remove_tree_at(parent_fd_.get(), staging_name_);
    staging_name_.clear();
}

void StagedDirectory::write(const std::string& relative, std::string_view bytes,
                            std::uint32_t mode) {
    std::string shown = (std::filesystem::path(path_) / relative).string();
    if (file_detail::before_staged_write) file_detail::before_staged_write(relative);
    std::vector<std::string> parts;
    for (const auto& part : std::filesystem::path(relative)) parts.push_back(part.string());
    for (const std::string& part : parts)
        if (part.empty() || part == "." || part == ".." || part == "/")
            throw Error(shown, "is not a plain relative file name", "report this as a bug");
    Fd sub;
    int dir = staging_fd_.get();
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        sub = open_or_make_directory(dir, parts[i], 0755, shown, O_NOFOLLOW);
        dir = sub.get();
    }
    Fd file(::openat(dir, parts.back().c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     static_cast<mode_t>(mode)));
    if (file.get() < 0) throw Error(shown, "cannot create: " + errno_text(errno));
    ::fchmod(file.get(), static_cast<mode_t>(mode));  // exact, whatever the umask
    while (!bytes.empty()) {
        ssize_t n = ::write(file.get(), bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(shown, "write failed: " + errno_text(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(file.get()) != 0) throw Error(shown, "fsync failed: " + errno_text(errno));
}

void StagedDirectory::commit() {
    fsync_tree(staging_fd_.get());
    // The old directory's group too (a CA directory its group may read); a group we may not
    // give leaves ours, which only narrows who can read.
    if (final_group_ && ::fchown(staging_fd_.get(), static_cast<uid_t>(-1),
                                 static_cast<gid_t>(*final_group_)) != 0) {
        // kept ours: see above
    }
    if (::fchmod(staging_fd_.get(), static_cast<mode_t>(final_mode_)) != 0)
        throw Error(path_, "cannot set the directory's mode: " + errno_text(errno));
    swap_in();
    committed_ = true;
    ::fsync(parent_fd_.get());
}

void StagedDirectory::swap_in() {
    const char* staging = staging_name_.c_str();
    const char* name = name_.c_str();
    if (!target_exists_) {
        // NOREPLACE: a directory that appeared since we looked is not silently replaced.
        if (::renameat2(parent_fd_.get(), staging, parent_fd_.get(), name, RENAME_NOREPLACE) == 0)
            return;
        int err = errno;
        if (err == EEXIST)
            throw Error(path_, "appeared while it was being written",
                        "run again, or choose another directory");
        if (err != EINVAL && err != ENOSYS)
            throw Error(path_, "cannot move the new directory into place: " + errno_text(err));
        // A file system without renameat2 flags: rename still refuses a non-empty target.
        if (::renameat(parent_fd_.get(), staging, parent_fd_.get(), name) != 0)
            throw Error(path_, "cannot move the new directory into place: " + errno_text(errno));
        return;
    }
    // One atomic step where the file system has it: afterwards staging_name_ names the old set.
    if (::renameat2(parent_fd_.get(), staging, parent_fd_.get(), name, RENAME_EXCHANGE) == 0) {
        remove_tree_at(parent_fd_.get(), staging_name_);
        staging_name_.clear();
        return;
    }
    int err = errno;
    if (err != EINVAL && err != ENOSYS)
        throw Error(path_, "cannot swap the new directory in: " + errno_text(err));
    // Old aside, new in, old removed; if the new cannot go in, the old goes back.
    std::string aside = "." + name_ + ".swarmpki-old-" + random_suffix();
    if (::renameat(parent_fd_.get(), name, parent_fd_.get(), aside.c_str()) != 0)
        throw Error(path_, "cannot move the old directory aside: " + errno_text(errno));
    if (::renameat(parent_fd_.get(), staging, parent_fd_.get(), name) != 0) {
        err = errno;
        ::renameat(parent_fd_.get(), aside.c_str(), parent_fd_.get(), name);
        throw Error(path_, "cannot move the new directory into place: " + errno_text(err));
    }
    remove_tree_at(parent_fd_.get(), aside);
    staging_name_.clear();
}

// ---- secrets -----------------------------------------------------------------------------------

namespace {

Error secret_too_large(const std::string& subject, std::size_t limit) {
    return Error(subject,
                 "holds more than " + std::to_string(limit) + " bytes, too many for a secret",
                 "give a file holding only the secret", ReadFailure::too_large);
}

}  // namespace

std::optional<std::string> secret_permission_warning(const std::string& path, std::uint32_t mode) {
    if ((mode & 066) == 0) return std::nullopt;
    const char* can = (mode & 044) != 0 && (mode & 022) != 0 ? "read and change"
                      : (mode & 044) != 0                    ? "read"
                                                             : "change";
    return path + ": mode " + format_mode(mode) + " lets other users " + can +
           " this secret (chmod 600 " + path + ")";
}

SecretFile read_secret_file(const std::string& path, std::size_t limit) {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; cleared below for the read.
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) throw open_error(path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw open_error(path, errno);
    if (S_ISDIR(st.st_mode)) throw open_error(path, EISDIR);
    bool pipe = S_ISFIFO(st.st_mode);
    if (!S_ISREG(st.st_mode) && !pipe)
        throw Error(path, "not a regular file or a pipe", "point at the file holding the secret",
                    ReadFailure::not_a_file);
    if (pipe) {
        // Blocking reads from here; and wait for a writer first. A FIFO opened without O_NONBLOCK
        // would instead hang on open when its writer came and went before us, and a read now,
        // before any writer came, would see an end of input. poll on a fresh FIFO reports no
        // hang-up until a writer has been seen, so this waits exactly as `cat FIFO` does.
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
        pollfd ready{fd.get(), POLLIN, 0};
        while (::poll(&ready, 1, -1) < 0 && errno == EINTR) {
        }
    }
    if (!pipe && static_cast<std::uint64_t>(st.st_size) > limit)
        throw secret_too_large(path, limit);
    // Room for the cap and one byte more at once: a buffer that grew would leave copies of the
    // secret in freed memory.
    std::string buffer(limit + 1, '\0');
    std::optional<std::size_t> filled = read_to_end(fd.get(), buffer, limit);
    int err = errno;
    Bytes bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(filled.value_or(0)));
    OPENSSL_cleanse(buffer.data(), buffer.size());
    SecretFile secret{SecretBytes(std::move(bytes)),
                      secret_permission_warning(path, st.st_mode & 07777)};
    if (!filled) throw open_error(path, err);
    if (*filled > limit) throw secret_too_large(path, limit);
    return secret;
}

SecretBytes read_secret_line(int fd, const std::string& subject, std::size_t limit) {
    Bytes buffer(limit + 1);  // never reallocated, for the same reason as above
    std::size_t filled = 0;
    std::optional<std::size_t> line_end;
    while (!line_end && filled < buffer.size()) {
        ssize_t got = ::read(fd, buffer.data() + filled, buffer.size() - filled);
        if (got < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            OPENSSL_cleanse(buffer.data(), buffer.size());
            throw Error(subject, "cannot read: " + errno_text(err));
        }
        if (got == 0) {
            line_end = filled;
            break;
        }
        auto start = buffer.begin() + static_cast<std::ptrdiff_t>(filled);
        filled += static_cast<std::size_t>(got);
        auto newline = std::find(start, buffer.begin() + static_cast<std::ptrdiff_t>(filled), '\n');
        if (newline != buffer.begin() + static_cast<std::ptrdiff_t>(filled))
            line_end = static_cast<std::size_t>(newline - buffer.begin());
    }
    if (!line_end || *line_end > limit) {
        OPENSSL_cleanse(buffer.data(), buffer.size());
        throw Error(subject,
                    "more than " + std::to_string(limit) + " bytes before the first line break",
                    "give only the secret, on one line", ReadFailure::too_large);
    }
    std::size_t end = *line_end;
    if (end > 0 && buffer[end - 1] == '\r') --end;
    OPENSSL_cleanse(buffer.data() + end, buffer.size() - end);
    buffer.resize(end);
    return SecretBytes(std::move(buffer));
}

void keep_secrets_out_of_core_dumps() {
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct rlimit none {};
    ::setrlimit(RLIMIT_CORE, &none);
}

}  // namespace swarmpki
