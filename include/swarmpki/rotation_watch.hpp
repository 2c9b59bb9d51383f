// `swarmpki rotate status [--watch]` asking the engine (docs/rotation-status.md): one report, or
// a rotation followed until it settles or --timeout passes. The first read is the cluster's
// (read_cluster_inputs: /_ping, then /info, /swarm and /nodes); each later poll asks exactly two
// things, GET /swarm and GET /nodes, once an interval (default 1 s), and builds the same cluster
// report from them. Time and sleeping are the caller's (WatchClock), so tests run a watch of
// minutes in no time against a fake engine.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "swarmpki/rotation_watch.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/engine_client.hpp"
#include "swarmpki/rotation_status.hpp"

#include <chrono>
#include <functional>
#include <optional>

namespace swarmpki {

struct WatchClock {
    std::function<Instant()> wall;  // each report's evaluated_at
    // Elapsed time since any fixed point: the watch's elapsed and its --timeout.
    std::function<std::chrono::milliseconds()> steady;
    std::function<void(std::chrono::milliseconds)> sleep;
    static WatchClock real();  // system_clock, steady_clock, this_thread::sleep_for
};

struct RotationWatchOptions {
    bool watch = false;              // false: one report
    std::optional<Seconds> timeout;  // none: until it settles
    Seconds interval{1};
    std::optional<Instant> at;  // one report evaluated as of this instant (--at), not a watch
};

struct RotationWatchResult {
    RotationStatus last;
    RotationWaitEnd end = RotationWaitEnd::report;  // timed_out: --timeout passed, unsettled
    Seconds elapsed{};
    ExitCode exit_code = ExitCode::ok;  // rotation_status_exit_code(last, end)
};

// Called with every status read, `changed` when it differs from the one before
// (rotation_status_changed; true for the first), and the time since the watch began.
using RotationStatusSink =
    std::function<void(const RotationStatus& status, bool changed, Seconds elapsed)>;

// Throws EngineError when the engine cannot be asked, at the first read or at any poll.
RotationWatchResult watch_rotation(EngineClient& client, const RotationWatchOptions& options,
                                   const WatchClock& clock, const RotationStatusSink& sink);

}  // namespace swarmpki
