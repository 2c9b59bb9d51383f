// The engine's root-rotation reconciler as a schedule in engine time.
//
// ca/reconciler.go: every 3 s the reconciler looks at every node in the store; if all carry a
// certificate whose issuer key is the new root's, the rotation finishes; otherwise it marks up
// to 30 unconverged nodes that are not already marked (IssuanceState ROTATE). A marked node that
// is up renews 0.65-0.8 s later (measured on 20.10.24); a down node stays marked and blocks the
// rotation forever, until it is removed from the store. The first marking happens when the
// rotation starts (t = 0), which is why a small cluster finishes in about 3.15 s.
#include "rotation_internal.hpp"
#include "swarmpki/cluster.hpp"

namespace swarmpki::rotation_detail {

EngineSchedule plan_engine_schedule(std::vector<SimNode>& nodes, bool remove_offline,
                                    std::mt19937_64& rng) {
    EngineSchedule schedule;
    // Go map iteration: an order we cannot know, drawn from the seeded generator.
    std::vector<std::size_t> order(nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::uniform_real_distribution<double> renew_delay(kRenewMin, kRenewMax);

    std::size_t next_unmarked = 0;
    std::size_t online_left = 0;
    bool any_offline = false;
    for (const SimNode& n : nodes) {
        if (n.offline) any_offline = true;
        else ++online_left;
    }
    for (std::size_t tick = 0;; ++tick) {
        double t = kTickSeconds * static_cast<double>(tick);
        schedule.ticks = tick + 1;
        if (online_left == 0) {
            if (!any_offline) {
                schedule.completed_at = t + kFinishSeconds;
                break;
            }
            schedule.blocked_seen_at = t;
            // The operator removes the down nodes; the next tick finds the store converged.
            if (remove_offline) schedule.completed_at = t + kTickSeconds + kFinishSeconds;
            break;
        }
        for (std::size_t marked = 0; marked < kBatchSize && next_unmarked < order.size();
             ++marked) {
            SimNode& node = nodes[order[next_unmarked++]];
            node.batch = static_cast<std::uint32_t>(tick);
            if (node.offline) continue;
            node.renewed_at = t + renew_delay(rng);
            --online_left;
            (tick == 0 ? schedule.first_batch : schedule.later_batches)
                .push_back(order[next_unmarked - 1]);
            if (tick == 0)
                schedule.first_batch_done = std::max(schedule.first_batch_done, node.renewed_at);
            schedule.last_renewal = std::max(schedule.last_renewal, node.renewed_at);
        }
    }
    return schedule;
}

}  // namespace swarmpki::rotation_detail

namespace swarmpki {

// The same pacing seen from the middle of a rotation: the unconverged nodes are marked 30 a pass
// from now, and the pass after the last batch finds every node converged, which is
// plan_engine_schedule's completed_at for a cluster of that many online nodes (a test holds the
// two together). With none left, the rotation is still in progress only because the pass that
// will see it converged has not come yet: it is at most one tick away (swarmkit
// runReconcilerLoop finishes in the pass that finds no unconverged node, and passes are
// kTickSeconds apart). The simulator's 0.15 s for an empty cluster is a first pass at the
// rotation's start, which an observer of a rotation in progress never catches.
double estimated_engine_seconds(std::size_t unconverged) {
    using namespace rotation_detail;
    if (unconverged == 0) return kTickSeconds + kFinishSeconds;
    std::size_t passes = (unconverged + kBatchSize - 1) / kBatchSize;
    return kTickSeconds * static_cast<double>(passes) + kFinishSeconds;
}

}  // namespace swarmpki
