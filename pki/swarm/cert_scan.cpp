// The fleet walker. Trees are walked on up to thread_count(threads) workers, which share a stack
// of directories still to list (plan_scan sorts what they find, so the plan is the same for any
// number); reading and parsing run in the expiry scan, on parallel_for_workers (threads.hpp).
#include "swarmpki/cert_scan.hpp"

#include "swarmpki/file.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/renewal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
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

std::string join(const std::string& dir, const char* name) {
    std::string path = dir;
    if (path.empty() || path.back() != '/') path += '/';
    path += name;
    return path;
}

// What listing one directory found: a node directory and other certificate files as units,
// subdirectories still to walk, and any error.
struct Listing {
    std::vector<ScanUnit> units;
    std::vector<std::string> subdirs;
    std::optional<ScanError> error;
};

// One directory level: a node directory when it holds either swarm file; other certificate files
// become their own units. Entry types come from the listing (d_type): no stat per entry unless
// the filesystem does not say. Read with getdents64 on a plain descriptor (opendir adds an fstat
// and a 32 KiB allocation per directory, and a fleet tree is mostly two-file directories).
Listing list_directory(const std::string& dir, bool explicit_path, std::vector<char>& buffer) {
    Listing out;
    Fd owned(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    int fd = owned.get();
    if (fd < 0) {
        out.error = error_from_errno(dir, errno, "read directory");
        return out;
    }
    ScanUnit node{ScanUnit::Kind::node_directory, dir, explicit_path};
    node.listed = true;
    bool node_directory = false;
    bool node_cert = false, root_key = false;
    for (;;) {
        ssize_t got = ::getdents64(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            out.error = error_from_errno(dir, errno, "read directory");
            break;
        }
        if (got == 0) break;
        for (ssize_t offset = 0; offset < got;) {
            const auto* entry = reinterpret_cast<const dirent64*>(buffer.data() + offset);
            offset += entry->d_reclen;
            const char* name = entry->d_name;
            if (name[0] == '.') {
                // Hidden entries are no units; .swarm-node.crt tells the scan to judge the
                // directory the engine's way (renewal.hpp).
                if (std::strcmp(name, kPendingNodeCertFile) == 0) node.pending_cert_listed = true;
                continue;
            }
            if (name[0] == '\0') continue;
            unsigned char type = entry->d_type;
            if (type == DT_UNKNOWN) {
                struct stat st {};
                if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
            }
            if (type == DT_DIR) {
                out.subdirs.push_back(join(dir, name));
            } else if (std::strcmp(name, kNodeCertFile) == 0) {
                node_directory = true;
                node_cert = true;
                node.node_cert_regular = type == DT_REG;
                node.node_cert_inode = entry->d_ino;
            } else if (std::strcmp(name, kRootCertFile) == 0) {
                node_directory = true;
                node.root_file_regular = type == DT_REG;
                node.root_file_inode = entry->d_ino;
            } else {
                if (std::strcmp(name, kNodeKeyFile) == 0) node.key_listed = true;
                if (std::strcmp(name, kRootKeyFile) == 0) root_key = true;
                if (!is_certificate_name(name)) continue;
                ScanUnit file{ScanUnit::Kind::certificate_file, join(dir, name), false};
                file.listed = true;
                file.regular_file = type == DT_REG;
                out.units.push_back(std::move(file));
            }
        }
    }
    node.directory = directory_kind(root_key, node_cert);
    if (node_directory) out.units.push_back(std::move(node));
    return out;
}

// Walks the trees under some root directories on up to `threads` workers. A directory is listed
// by whichever worker takes it; its subdirectories go back on a shared stack. Directory listing
// is a third of a fleet scan's system time, and the kernel serves it on every core. Units come
// out in no particular order (plan_scan sorts them); errors are sorted by path per root, so a
// report is the same from run to run.
class ParallelWalk {
public:
    struct Root {
        std::string path;
        std::vector<ScanUnit> units;
        std::vector<ScanError> errors;
    };

    explicit ParallelWalk(std::vector<std::string> roots) {
        for (std::size_t i = 0; i < roots.size(); ++i) {
            roots_.push_back({std::move(roots[i]), {}, {}});
            pending_.push_back({roots_.back().path, i, true});
        }
    }

    std::vector<Root> run(unsigned threads) {
        max_workers_ = thread_count(threads);
        {
            std::lock_guard lock(mutex_);
            add_workers();
        }
        work();
        // Workers are added only while directories are pending; this one returned when none
        // were and no listing was in flight to add any, so pool_ is complete.
        for (auto& t : pool_) t.join();
        for (Root& root : roots_)
            std::sort(root.errors.begin(), root.errors.end(),
                      [](const ScanError& a, const ScanError& b) { return a.path < b.path; });
        return std::move(roots_);
    }

private:
    struct Task {
        std::string dir;
        std::size_t root;
        bool explicit_path;
    };

    void work() {
        std::vector<char> buffer(32 * 1024);
        std::vector<std::pair<std::size_t, ScanUnit>> units;
        std::vector<std::pair<std::size_t, ScanError>> errors;
        std::unique_lock lock(mutex_);
        for (;;) {
            changed_.wait(lock, [&] { return !pending_.empty() || busy_ == 0; });
            if (pending_.empty()) break;  // nothing left and nobody listing: done
            Task task = std::move(pending_.back());
            pending_.pop_back();
            ++busy_;
            lock.unlock();
            Listing listing = list_directory(task.dir, task.explicit_path, buffer);
            for (ScanUnit& unit : listing.units) units.emplace_back(task.root, std::move(unit));
            if (listing.error) errors.emplace_back(task.root, std::move(*listing.error));
            lock.lock();
            for (std::string& sub : listing.subdirs)
                pending_.push_back({std::move(sub), task.root, false});
            --busy_;
            add_workers();
            changed_.notify_all();
        }
        // Hand this worker's finds to the roots once, under the lock it already holds.
        for (auto& [root, unit] : units) roots_[root].units.push_back(std::move(unit));
        for (auto& [root, error] : errors) roots_[root].errors.push_back(std::move(error));
    }

    // Under the lock: a worker more for each pending directory no idle one will take, up to
    // the limit. Starting them all at once cost a thread a core for a single node directory
    // (swarmpki-serve walks its directories on every scan).
    void add_workers() {
        unsigned idle = started_ - busy_;
        for (; started_ < max_workers_ && pending_.size() > idle; ++started_, ++idle)
            pool_.emplace_back([this] { work(); });
    }

    std::vector<Root> roots_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Task> pending_;
    std::vector<std::thread> pool_;
    unsigned busy_ = 0;
    unsigned started_ = 1;  // the caller's thread works too
    unsigned max_workers_ = 1;
};

struct Walker {
    ScanPlan plan;
    std::vector<std::string> trees;       // directories named on the command line, in order
    std::vector<std::size_t> tree_slots;  // where each one's errors go in plan.errors

    void add(ScanUnit unit) { plan.units.push_back(std::move(unit)); }

    void add_path(const std::string& path) {
        struct StatResult {
            std::error_code ec;
            fs::file_status link, target;
        } st;
        st.link = fs::symlink_status(path, st.ec);
        if (st.ec || !fs::exists(st.link)) {
            int err = st.ec ? st.ec.value() : ENOENT;
            if (err == ENOENT) {  // worded as inspect, verify and serve word it
                plan.errors.push_back(
                    {path, ScanReason::not_found, no_such_directory(path).what()});
                return;
            }
            plan.errors.push_back(error_from_errno(path, err, "open"));
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
        trees.push_back(path);
        tree_slots.push_back(plan.errors.size());
    }

    // Walks every directory named, then puts each one's errors where a sequential walk would
    // have reported them (after the errors of the paths named before it).
    void walk_trees(unsigned threads) {
        if (trees.empty()) return;
        std::vector<ParallelWalk::Root> roots = ParallelWalk(trees).run(threads);
        std::vector<ScanError> errors;
        std::size_t next = 0;
        for (std::size_t i = 0; i < roots.size(); ++i) {
            for (; next < tree_slots[i]; ++next) errors.push_back(std::move(plan.errors[next]));
            ParallelWalk::Root& root = roots[i];
            if (root.units.empty() && root.errors.empty())
                root.errors.push_back({root.path, ScanReason::not_found,
                                       root.path + ": no certificate files found (expected " +
                                           kNodeCertFile + ", " + kRootCertFile +
                                           ", *.crt or *.pem; check the path)"});
            std::move(root.errors.begin(), root.errors.end(), std::back_inserter(errors));
            std::move(root.units.begin(), root.units.end(), std::back_inserter(plan.units));
        }
        for (; next < plan.errors.size(); ++next) errors.push_back(std::move(plan.errors[next]));
        plan.errors = std::move(errors);
    }
};

}  // namespace

ScanPlan plan_scan(std::span<const std::string> paths) {
    return plan_scan(paths, default_thread_count());
}

ScanPlan plan_scan(std::span<const std::string> paths, unsigned threads) {
    Walker walker;
    for (const std::string& path : paths) walker.add_path(path);
    walker.walk_trees(threads);
    // Sorted by path; a path named twice (overlapping PATH arguments) is one unit, the first.
    auto& units = walker.plan.units;
    std::stable_sort(units.begin(), units.end(),
                     [](const ScanUnit& a, const ScanUnit& b) { return a.path < b.path; });
    units.erase(std::unique(units.begin(), units.end(),
                            [](const ScanUnit& a, const ScanUnit& b) { return a.path == b.path; }),
                units.end());
    return std::move(walker.plan);
}

}  // namespace swarmpki
