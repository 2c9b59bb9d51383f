// The one rule for how many workers a parallel step runs on, shared by every pool (the expiry
// scan's, the tree walk's, the rotation simulator's) and every --threads option, and the pool.
//
// Util layer (1): includable from every layer.
#pragma once

#include <cstddef>
#include <functional>

namespace swarmpki {

// `requested` workers, or every core for 0: std::thread::hardware_concurrency(), and 1 where the
// system cannot say (it returns 0 then). So `--threads 0` and no --threads mean the same for
// every command, and no pool ever runs on zero workers.
unsigned thread_count(unsigned requested);

// thread_count(0): every core.
unsigned default_thread_count();

// The project's one pool, used by the expiry scan and (through rotation_detail::parallel_for_each)
// the rotation simulator; the tree walk (cert_scan.cpp) grows its own workers as directories turn
// up. Runs work(index, worker) for every index in [0, count) on thread_count(threads) workers (at
// most one an index), handing each index out once and telling work which worker runs it
// (0 .. workers_for(count, threads) - 1), so each worker can keep its own caches without locks.
// `work` must not throw.
unsigned workers_for(std::size_t count, unsigned threads);
void parallel_for_workers(std::size_t count, unsigned threads,
                          const std::function<void(std::size_t index, unsigned worker)>& work);

}  // namespace swarmpki
