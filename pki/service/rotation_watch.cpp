// The watch of `rotate status` (swarmpki/rotation_watch.hpp): the cluster's first read, then two
// GETs an interval, each poll's report built and projected as the first one was, so convergence,
// blockers and the estimate are decided only by build_cluster_report.
#include "swarmpki/rotation_watch.hpp"

#include <algorithm>
#include <thread>

namespace swarmpki {

namespace {

// A later poll: /swarm and /nodes, the two replies a rotation changes (the docker CLI's own
// progress polls the same two). The /info of the first read stays: the report takes only each
// node's TLS STATUS from it (the cluster's TLSInfo, the same object /swarm returns), which
// `rotate status` does not show.
void poll(EngineClient& client, ClusterInputs& inputs, Instant at) {
    inputs.swarm = client.swarm();
    inputs.nodes = client.nodes();
    inputs.at = at;
}

Seconds whole_seconds(std::chrono::milliseconds ms) {
    return std::chrono::duration_cast<Seconds>(ms);
}

}  // namespace

WatchClock WatchClock::real() {
    return WatchClock{[] { return wall_clock_now(); },
                      [] {
                          return std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now().time_since_epoch());
                      },
                      [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
}

RotationWatchResult watch_rotation(EngineClient& client, const RotationWatchOptions& options,
                                   const WatchClock& clock, const RotationStatusSink& sink) {
    const std::chrono::milliseconds start = clock.steady();
    auto elapsed = [&] { return clock.steady() - start; };

    ClusterInputs inputs = read_cluster_inputs(client, options.at.value_or(clock.wall()));
    RotationStatus status = rotation_status_of(build_cluster_report(inputs));
    sink(status, true, Seconds(0));

    RotationWatchResult result;
    if (options.watch) {
        while (!rotation_settled(status)) {
            std::chrono::milliseconds waited = elapsed();
            if (options.timeout && waited >= *options.timeout) {
                result.end = RotationWaitEnd::timed_out;
                break;
            }
            std::chrono::milliseconds pause = options.interval;
            if (options.timeout) pause = std::min(pause, *options.timeout - waited);
            clock.sleep(pause);
            poll(client, inputs, clock.wall());
            RotationStatus next = rotation_status_of(build_cluster_report(inputs), status);
            bool changed = rotation_status_changed(status, next);
            status = std::move(next);
            sink(status, changed, whole_seconds(elapsed()));
        }
    }
    result.elapsed = whole_seconds(elapsed());
    result.exit_code = rotation_status_exit_code(status, result.end);
    result.last = std::move(status);
    return result;
}

}  // namespace swarmpki
