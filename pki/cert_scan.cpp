// The fleet walker and loader. Walking is sequential (directory reads are cheap and the order
// must be stable); reading and parsing, which dominate, run on every core through parallel_for.
#include "swarmpki/cert_scan.hpp"

#include "swarmpki/file.hpp"
#include "swarmpki/pem.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>

namespace swarmpki {

namespace fs = std::filesystem;

std::string_view to_string(ScanReason reason) {
    switch (reason) {
        case ScanReason::permission_denied: return "permission_denied";
        case ScanReason::not_found: return "not_found";
        case ScanReason::broken_symlink: return "broken_symlink";
        case ScanReason::bad_pem: return "bad_pem";
        case ScanReason::too_large: return "too_large";
        case ScanReason::read_failed: return "read_failed";
    }
    return "read_failed";
}

ScanReason scan_reason(ReadFailure failure) {
    switch (failure) {
        case ReadFailure::permission_denied: return ScanReason::permission_denied;
        case ReadFailure::not_found: return ScanReason::not_found;
        case ReadFailure::broken_symlink: return ScanReason::broken_symlink;
        case ReadFailure::too_large: return ScanReason::too_large;
        case ReadFailure::bad_pem: return ScanReason::bad_pem;
        case ReadFailure::none:
        case ReadFailure::not_a_file:
        case ReadFailure::read_failed: return ScanReason::read_failed;
    }
    return ScanReason::read_failed;
}

namespace {

ScanError error_from(const Error& e) { return {e.subject(), scan_reason(e.reason()), e.what()}; }

ScanError error_from_errno(const std::string& path, int err, const char* doing) {
    ScanReason reason = ScanReason::read_failed;
    std::string remedy;
    if (err == ENOENT) {
        reason = ScanReason::not_found;
        remedy = "check the path";
    } else if (err == EACCES || err == EPERM) {
        reason = ScanReason::permission_denied;
        remedy = "run as root or as the owner";
    }
    std::string message = path + ": cannot " + doing + ": " + std::strerror(err);
    if (!remedy.empty()) message += " (" + remedy + ")";
    return {path, reason, message};
}

bool is_certificate_name(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    return ends_with(".crt") || ends_with(".pem");
}

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

std::string join(const std::string& dir, const char* name) {
    std::string path = dir;
    if (path.empty() || path.back() != '/') path += '/';
    path += name;
    return path;
}

struct Walker {
    ScanPlan plan;

    void add(ScanUnit unit) { plan.units.push_back(std::move(unit)); }

    // One directory level: a node directory when it holds either swarm file; other
    // certificate files become their own units; subdirectories are walked in turn. Entry types
    // come from the listing (d_type): no stat per entry unless the filesystem does not say.
    void walk(const std::string& dir, bool explicit_path) {
        DirHandle handle(::opendir(dir.c_str()));
        if (!handle) {
            plan.errors.push_back(error_from_errno(dir, errno, "read directory"));
            return;
        }
        ScanUnit node{ScanUnit::Kind::node_directory, dir, explicit_path};
        node.listed = true;
        bool node_directory = false;
        std::vector<ScanUnit> files;
        std::vector<std::string> subdirs;
        for (;;) {
            errno = 0;
            const dirent* entry = ::readdir(handle.get());
            if (!entry) {
                if (errno != 0) plan.errors.push_back(error_from_errno(dir, errno, "read directory"));
                break;
            }
            const char* name = entry->d_name;
            if (name[0] == '\0' || name[0] == '.') continue;
            unsigned char type = entry->d_type;
            if (type == DT_UNKNOWN) {
                struct stat st {};
                if (::fstatat(::dirfd(handle.get()), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
            }
            if (type == DT_DIR) {
                subdirs.push_back(join(dir, name));
            } else if (std::strcmp(name, kNodeCertFile) == 0) {
                node_directory = true;
                node.node_cert_regular = type == DT_REG;
            } else if (std::strcmp(name, kRootCertFile) == 0) {
                node_directory = true;
                node.root_file_regular = type == DT_REG;
            } else {
                if (std::strcmp(name, kNodeKeyFile) == 0) node.key_listed = true;
                if (!is_certificate_name(name)) continue;
                ScanUnit file{ScanUnit::Kind::certificate_file, join(dir, name), false};
                file.listed = true;
                file.regular_file = type == DT_REG;
                files.push_back(std::move(file));
            }
        }
        handle.reset();  // before descending: a deep tree must not hold a descriptor per level
        if (node_directory) add(std::move(node));
        for (auto& f : files) add(std::move(f));
        for (auto& d : subdirs) walk(d, false);
    }

    void add_path(const std::string& path) {
        struct stat_result {
            std::error_code ec;
            fs::file_status link, target;
        } st;
        st.link = fs::symlink_status(path, st.ec);
        if (st.ec || !fs::exists(st.link)) {
            plan.errors.push_back(error_from_errno(path, st.ec ? st.ec.value() : ENOENT, "open"));
            return;
        }
        st.target = fs::status(path, st.ec);
        if (fs::is_symlink(st.link) && (st.ec || !fs::exists(st.target))) {
            plan.errors.push_back({path, ScanReason::broken_symlink,
                                   path + ": dangling symlink (restore the file it points to)"});
            return;
        }
        if (!fs::is_directory(st.target)) {
            add({ScanUnit::Kind::certificate_file, path, true});
            return;
        }
        std::size_t units_before = plan.units.size(), errors_before = plan.errors.size();
        walk(path, true);
        if (plan.units.size() == units_before && plan.errors.size() == errors_before)
            plan.errors.push_back({path, ScanReason::not_found,
                                   path + ": no certificate files found (expected " +
                                       kNodeCertFile + ", " + kRootCertFile +
                                       ", *.crt or *.pem; check the path)"});
    }
};

}  // namespace

ScanPlan plan_scan(std::span<const std::string> paths) {
    Walker walker;
    for (const std::string& path : paths) walker.add_path(path);
    // Sorted by path; a path named twice (overlapping PATH arguments) is one unit, the first.
    auto& units = walker.plan.units;
    std::stable_sort(units.begin(), units.end(),
                     [](const ScanUnit& a, const ScanUnit& b) { return a.path < b.path; });
    units.erase(std::unique(units.begin(), units.end(),
                            [](const ScanUnit& a, const ScanUnit& b) { return a.path == b.path; }),
                units.end());
    return std::move(walker.plan);
}

std::variant<LoadedFile, ScanError> load_certificate_bundle(const std::string& path,
                                                            Strictness strictness) {
    try {
        std::string bytes = read_file(path);
        PemBundle bundle = parse_pem_or_throw(bytes, path);
        LoadedFile loaded;
        loaded.path = path;
        loaded.sha256 = sha256_hex(bytes);
        if (strictness == Strictness::strict) {
            loaded.certificates = certificates_from_pem(bundle, path);
            return loaded;
        }
        std::size_t index = 0;
        for (const PemBlock& block : bundle.blocks) {
            ++index;
            if (block.type != "CERTIFICATE") continue;
            loaded.certificates.push_back(Certificate::from_der(
                block.der, path + ": block " + std::to_string(index) + " (line " +
                               std::to_string(block.line) + ")"));
        }
        loaded.skipped = loaded.certificates.empty();
        return loaded;
    } catch (const Error& e) {
        return error_from(e);
    } catch (const std::exception& e) {
        // OpenSSL trouble deep in a parse: still one file's problem, not the scan's.
        return ScanError{path, ScanReason::bad_pem, path + ": " + e.what()};
    }
}

unsigned workers_for(std::size_t count, unsigned threads) {
    return std::max(1u, std::min<unsigned>(
                            threads, static_cast<unsigned>(std::min<std::size_t>(
                                         std::max<std::size_t>(count, 1), 1u << 16))));
}

void parallel_for_workers(std::size_t count, unsigned threads,
                          const std::function<void(std::size_t, unsigned)>& work) {
    unsigned workers = workers_for(count, threads);
    std::atomic<std::size_t> next{0};
    auto worker = [&](unsigned id) {
        for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
             i = next.fetch_add(1, std::memory_order_relaxed))
            work(i, id);
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (unsigned t = 1; t < workers; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (auto& t : pool) t.join();
}

void parallel_for(std::size_t count, unsigned threads,
                  const std::function<void(std::size_t)>& work) {
    parallel_for_workers(count, threads, [&](std::size_t i, unsigned) { work(i); });
}

std::optional<std::string_view> read_listed_regular_file(const std::string& path,
                                                        std::string& buffer) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    if (buffer.size() != kDefaultReadLimit + 1) buffer.resize(kDefaultReadLimit + 1);
    ssize_t got;
    do {
        got = ::read(fd, buffer.data(), buffer.size());
    } while (got < 0 && errno == EINTR);
    ::close(fd);
    if (got < 0 || static_cast<std::size_t>(got) > kDefaultReadLimit) return std::nullopt;
    return std::string_view(buffer.data(), static_cast<std::size_t>(got));
}

unsigned default_thread_count() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace swarmpki
