// The rotation report for people: phases as a table, then the verdict and what to do.
#include "swarmpki/rotation.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace swarmpki {

namespace {

constexpr std::size_t kListed = 10;       // nodes listed by name in each list
constexpr std::size_t kStepsListed = 20;  // removal commands listed

std::string header(const RotationReport& r) {
    std::size_t down_managers = r.quorum.managers - r.quorum.reachable;
    return fmt::format(
        "rotation of {} managers and {} workers ({} offline: {} manager(s), {} worker(s)), "
        "cluster {}\n"
        "raft quorum: {} of {} managers reachable, {} needed: {}\n",
        r.managers, r.workers, r.offline, down_managers, r.offline - down_managers, r.cluster_id,
        r.quorum.reachable, r.quorum.managers, r.quorum.needed(),
        r.quorum.has_leader() ? "the swarm has a leader" : "NO LEADER");
}

// The real cluster: where it was read, the stand-in, and the real nodes that would block.
std::string engine_lines(const LiveRotationReport& e) {
    std::string out = fmt::format("engine {} (API {}, {}): the real cluster, read-only\n", e.host,
                                  e.api_version, e.server_version);
    out += fmt::format("live trust root: {} ({}, public key sha256 {})\n", e.trust_root_subject,
                       e.trust_root_key_type, e.trust_root_public_key_sha256);
    out += "note: " + e.stand_in + "\n";
    return out;
}

std::string would_block_lines(const LiveRotationReport& e) {
    std::string out;
    for (std::size_t i = 0; i < e.would_block.size() && i < kListed; ++i) {
        const LiveNode& n = e.would_block[i];
        out += fmt::format("  would block: {} {} ({}): {}\n", n.id,
                           n.hostname.empty() ? "-" : n.hostname, to_string(n.role), n.reason);
    }
    if (e.would_block.size() > kListed)
        out += fmt::format("  ... and {} more\n", e.would_block.size() - kListed);
    if (e.estimated_engine_seconds)
        out += fmt::format("engine time estimate: {:.2f} s\n", *e.estimated_engine_seconds);
    else out += "engine time estimate: none (the rotation would never finish by itself)\n";
    return out;
}

std::string not_started(const RotationNotStarted& n) {
    std::string out = fmt::format("\nNOT STARTED ({}): {}\n  {}\n", n.reason, n.message,
                                  n.engine_error);
    for (std::size_t i = 0; i < n.down_managers.size() && i < kListed; ++i)
        out += "  down manager " + n.down_managers[i] + "\n";
    if (n.down_managers.size() > kListed)
        out += fmt::format("  ... and {} more\n", n.down_managers.size() - kListed);
    out += "  remedy: " + n.remedy + "\n";
    return out;
}

bool is_demotion(const RemovalStep& step) {
    return step.command.rfind("docker node demote ", 0) == 0;
}

std::string removal(const RemovalPlan& plan) {
    if (plan.steps.empty() && plan.keeps_quorum) return {};
    bool managers = std::any_of(plan.steps.begin(), plan.steps.end(), is_demotion);
    std::string out = plan.performed ? "removed while down" : "to remove them";
    out += managers ? ", keeping raft quorum at each step (a manager is demoted first: `docker "
                      "node rm` refuses a raft member):\n"
                    : ":\n";
    for (std::size_t i = 0; i < plan.steps.size() && i < kStepsListed; ++i) {
        const RemovalStep& s = plan.steps[i];
        out += "  " + s.command;
        if (is_demotion(s))
            out += fmt::format("    # raft: {} managers, {} needed for a leader",
                               s.raft_managers_after, s.raft_managers_after / 2 + 1);
        out += "\n";
    }
    if (plan.steps.size() > kStepsListed)
        out += fmt::format("  ... and {} more commands\n", plan.steps.size() - kStepsListed);
    if (!plan.keeps_quorum) out += "  the engine refuses the next step: " + plan.refusal + "\n";
    return out;
}

std::string verdict(const RotationReport& r) {
    std::string out;
    if (r.converged)
        out += fmt::format("converged: the cluster now trusts only the new root (sha256 {})\n",
                           r.new_root_sha256);
    else
        out += fmt::format(
            "NOT converged: {} down node(s) block the rotation forever; remove them (then they "
            "must rejoin) or bring them back\n",
            r.blocked_by.size());
    for (std::size_t i = 0; i < r.blocked_by.size() && i < kListed; ++i)
        out += fmt::format("  blocked by {} ({})\n", r.blocked_by[i].node,
                           to_string(r.blocked_by[i].role));
    if (r.blocked_by.size() > kListed)
        out += fmt::format("  ... and {} more\n", r.blocked_by.size() - kListed);
    out += removal(r.removal);
    for (std::size_t i = 0; i < r.stranded.size() && i < kListed; ++i)
        out += fmt::format("  stranded {} ({}): {}\n", r.stranded[i].node,
                           to_string(r.stranded[i].role), r.stranded[i].reason);
    if (r.stranded.size() > kListed)
        out += fmt::format("  ... and {} more stranded\n", r.stranded.size() - kListed);
    return out;
}

}  // namespace

std::string render_rotation_text(const RotationReport& r) {
    std::string out = header(r);
    if (r.engine) out += engine_lines(*r.engine);
    if (r.refusal) {
        out += fmt::format("\nREFUSED by the engine: {}\n  {}\n  file: {}\n", r.refusal->message,
                           r.refusal->engine_error, r.refusal->subject);
        if (!r.refusal->hazard.empty()) out += "  hazard: " + r.refusal->hazard + "\n";
        out += "  remedy: " + r.refusal->remedy + "\n";
        return out;
    }
    if (r.not_started) {
        out += not_started(*r.not_started);
        if (r.engine) out += would_block_lines(*r.engine);
        out += "status: " + rotation_status(r) + "\n";
        return out;
    }
    out += fmt::format("\n  {:<24} {:>10} {:>10} {:>13} {:>9}\n", "phase", "engine s", "real s",
                       "verifications", "failures");
    for (const SimulatedPhase& p : r.phases)
        out += fmt::format("  {:<24} {:>10.2f} {:>10.3f} {:>13} {:>9}\n", p.name, p.engine_seconds,
                           p.seconds, p.verifications, p.failures);
    out += fmt::format("  {:<24} {:>10.2f} {:>10.3f}\n\n", "total", r.engine_seconds, r.seconds);
    out += verdict(r);
    if (r.engine) out += would_block_lines(*r.engine);
    out += fmt::format("old join tokens accepted afterwards: {}\n",
                       r.old_token_accepted_after ? "yes" : "no");
    for (const std::string& f : r.failure_details) out += "  FAILURE " + f + "\n";
    out += fmt::format(
        "crypto: {} key generations, {} signatures, {} verifications on {} threads\n",
        r.crypto.keygen, r.crypto.sign, r.crypto.verify, r.threads);
    if (r.out_dir) out += "final state written to " + *r.out_dir + "\n";
    out += "status: " + rotation_status(r) + "\n";
    return out;
}

}  // namespace swarmpki
