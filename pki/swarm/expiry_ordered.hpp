// Work done in chunks on every core, its results taken in chunk order as soon as they can be.
//
// A fleet scan's results and its JSON text must come out in plan order, but collecting every
// chunk's result first and merging afterwards holds the whole report twice and leaves the merge
// to one thread. Here the worker that completes the oldest outstanding chunk commits it, and
// every later chunk already done, at once; a worker that finishes early parks its result and goes
// on (nobody waits for anybody), so only the out-of-order results are held at any time.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "pki/swarm/expiry_ordered.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cert_scan.hpp"

#include <cstddef>
#include <map>
#include <mutex>

namespace swarmpki::expiry_detail {

// produce(chunk, worker) -> Result runs for every chunk in [0, count) on up to `threads`
// workers (worker ids as parallel_for_workers gives them); commit(Result&&) sees the results in
// chunk order, one at a time, under a lock. Neither may throw.
template <typename Result, typename Produce, typename Commit>
void for_each_chunk_in_order(std::size_t count, unsigned threads, Produce produce, Commit commit) {
    std::mutex mutex;
    std::map<std::size_t, Result> parked;  // done, waiting for an earlier chunk
    std::size_t next = 0;
    parallel_for_workers(count, threads, [&](std::size_t chunk, unsigned worker) {
        Result result = produce(chunk, worker);
        std::lock_guard lock(mutex);
        if (chunk != next) {
            parked.emplace(chunk, std::move(result));
            return;
        }
        commit(std::move(result));
        ++next;
        for (auto found = parked.find(next); found != parked.end(); found = parked.find(next)) {
            commit(std::move(found->second));
            parked.erase(found);
            ++next;
        }
    });
}

}  // namespace swarmpki::expiry_detail
