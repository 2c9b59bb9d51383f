#include "swarmpki/threads.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace swarmpki {

unsigned thread_count(unsigned requested) {
    if (requested != 0) return requested;
    return std::max(1u, std::thread::hardware_concurrency());
}

unsigned default_thread_count() { return thread_count(0); }

unsigned workers_for(std::size_t count, unsigned threads) {
    return std::max(1u, std::min<unsigned>(thread_count(threads),
                                           static_cast<unsigned>(std::min<std::size_t>(
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

}  // namespace swarmpki
