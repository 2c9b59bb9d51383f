// The rotation report for people: phases as a table, then the verdict and what to do.
#include "swarmpki/rotation.hpp"

#include <fmt/format.h>

namespace swarmpki {

std::string render_rotation_text(const RotationReport& r) {
    std::string out = fmt::format(
        "rotation of {} managers and {} workers ({} offline), cluster {}\n", r.managers, r.workers,
        r.offline, r.cluster_id);
    if (r.refusal) {
        out += fmt::format("\nREFUSED by the engine: {}\n  {}\n  file: {}\n", r.refusal->message,
                           r.refusal->engine_error, r.refusal->subject);
        if (!r.refusal->hazard.empty()) out += "  hazard: " + r.refusal->hazard + "\n";
        out += "  remedy: " + r.refusal->remedy + "\n";
        return out;
    }
    out += fmt::format("\n  {:<24} {:>10} {:>10} {:>13} {:>9}\n", "phase", "engine s", "real s",
                       "verifications", "failures");
    for (const SimulatedPhase& p : r.phases)
        out += fmt::format("  {:<24} {:>10.2f} {:>10.3f} {:>13} {:>9}\n", p.name, p.engine_seconds,
                           p.seconds, p.verifications, p.failures);
    out += fmt::format("  {:<24} {:>10.2f} {:>10.3f}\n\n", "total", r.engine_seconds, r.seconds);
    if (r.converged)
        out += fmt::format("converged: the cluster now trusts only the new root (sha256 {})\n",
                           r.new_root_sha256);
    else
        out += fmt::format(
            "NOT converged: {} down node(s) block the rotation forever; remove them with "
            "`docker node rm` (then they must rejoin) or bring them back\n",
            r.blocked_by.size());
    for (std::size_t i = 0; i < r.blocked_by.size() && i < 10; ++i)
        out += "  blocked by " + r.blocked_by[i] + "\n";
    if (r.blocked_by.size() > 10)
        out += fmt::format("  ... and {} more\n", r.blocked_by.size() - 10);
    for (std::size_t i = 0; i < r.stranded.size() && i < 10; ++i)
        out += "  stranded " + r.stranded[i].node + ": " + r.stranded[i].reason + "\n";
    if (r.stranded.size() > 10)
        out += fmt::format("  ... and {} more stranded\n", r.stranded.size() - 10);
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
