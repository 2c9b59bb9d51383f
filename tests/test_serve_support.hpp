// What the in-process Server tests share: a thread-safe log collector and loopback options on an
// ephemeral port with the clock injected.
#pragma once

#include "support.hpp"
#include "test_webhook_receiver.hpp"  // ignore_sigpipe
#include "swarmpki/serve.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki::test {

// Collects log lines for assertions (the server logs from several threads).
struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::function<void(std::string_view)> sink() {
        return [this](std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        };
    }
    std::size_t count(std::string_view needle) {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto& l : lines) n += l.find(needle) != std::string::npos;
        return n;
    }
};

inline ServeOptions loopback_serve_options(std::vector<std::string> dirs, Instant now,
                                           LogLines& log) {
    ignore_sigpipe();
    ServeOptions options;
    options.listen = {"127.0.0.1", 0};
    options.scan.dirs = std::move(dirs);
    options.clock = [now] { return now; };
    options.log = log.sink();
    options.worker_threads = 4;
    return options;
}

}  // namespace swarmpki::test
