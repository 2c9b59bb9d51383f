// The fleet walker and loader. Walking is sequential (directory reads are cheap and the order
// must be stable); reading and parsing, which dominate, run on every core through parallel_for.
#include "swarmpki/cert_scan.hpp"

#include "swarmpki/file.hpp"
#include "swarmpki/pem.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
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

bool is_certificate_name(const std::string& name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() > suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends_with(".crt") || ends_with(".pem");
}

struct Walker {
    std::set<std::string> seen;
    ScanPlan plan;

    void add(ScanUnit::Kind kind, std::string path, bool explicit_path) {
        if (seen.insert(path).second)
            plan.units.push_back({kind, std::move(path), explicit_path});
    }

    // One directory level: a node directory when it holds either swarm file; other
    // certificate files become their own units; subdirectories are walked in turn.
    void walk(const fs::path& dir, bool explicit_path) {
        std::error_code ec;
        fs::directory_iterator it(dir, fs::directory_options::none, ec);
        if (ec) {
            plan.errors.push_back(error_from_errno(dir.string(), ec.value(), "read directory"));
            return;
        }
        bool node_directory = false;
        std::vector<fs::path> files, subdirs;
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const fs::directory_entry& entry = *it;
            std::string name = entry.path().filename().string();
            if (name.empty() || name[0] == '.') continue;
            fs::file_type type = entry.symlink_status(ec).type();
            if (ec) {
                ec.clear();
                type = fs::file_type::unknown;
            }
            if (type == fs::file_type::directory) {
                subdirs.push_back(entry.path());
            } else if (name == kNodeCertFile || name == kRootCertFile) {
                node_directory = true;
            } else if (is_certificate_name(name)) {
                files.push_back(entry.path());
            }
        }
        if (ec) plan.errors.push_back(error_from_errno(dir.string(), ec.value(), "read directory"));
        if (node_directory) add(ScanUnit::Kind::node_directory, dir.string(), explicit_path);
        for (auto& f : files) add(ScanUnit::Kind::certificate_file, f.string(), false);
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
            add(ScanUnit::Kind::certificate_file, path, true);
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
    std::sort(walker.plan.units.begin(), walker.plan.units.end(),
              [](const ScanUnit& a, const ScanUnit& b) { return a.path < b.path; });
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

void parallel_for(std::size_t count, unsigned threads,
                  const std::function<void(std::size_t)>& work) {
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(
                                                           std::max<std::size_t>(count, 1))));
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
             i = next.fetch_add(1, std::memory_order_relaxed))
            work(i);
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
}

unsigned default_thread_count() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace swarmpki
