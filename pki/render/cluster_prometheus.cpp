// The swarmpki_cluster_* families (docs/cluster.md, "Prometheus"): what `cluster --format
// prometheus` prints and `serve --engine` appends to its scrape, written by the same Exposition
// as the expiry families. Counts per label combination seen (a combination with no node has no
// series rather than a 0: the set of states is the engine's, not ours); per-node series carry
// only identifiers; a fact the engine did not give has no sample.
#include "swarmpki/cluster_render.hpp"

#include "exposition.hpp"

#include <map>
#include <tuple>

namespace swarmpki {

namespace {

double unix_time(Instant t) { return static_cast<double>(unix_seconds(t)); }

std::string role_label(const ClusterNode& n) { return n.role ? to_string(*n.role) : ""; }

void node_count_family(Exposition& x, const std::vector<ClusterNode>& nodes) {
    x.family("swarmpki_cluster_nodes",
             "Nodes of the swarm by role, engine state and TLS status (the docker CLI's rule).");
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> counts;
    for (const ClusterNode& n : nodes) ++counts[{role_label(n), n.state, to_string(n.tls_status)}];
    for (const auto& [key, count] : counts) {
        const auto& [role, state, tls] = key;
        x.sample({{"role", role}, {"state", state}, {"tls_status", tls}},
                 static_cast<double>(count));
    }
}

void node_families(Exposition& x, const ClusterReport& report) {
    const std::string& cluster = report.cluster.id;
    x.family("swarmpki_cluster_node_info",
             "One series per node with its identity and state as labels; always 1.");
    for (const ClusterNode& n : report.nodes)
        x.sample({{"cluster_id", cluster},
                  {"node_id", n.id},
                  {"hostname", n.hostname},
                  {"role", role_label(n)},
                  {"availability", n.availability},
                  {"state", n.state},
                  {"tls_status", to_string(n.tls_status)},
                  {"leader", n.leader ? "true" : "false"},
                  {"engine_version", n.engine_version}},
                 1);
    x.family("swarmpki_cluster_node_converged",
             "1 when the node reports the desired issuer (the reconciler's rule), else 0.");
    for (const ClusterNode& n : report.nodes)
        x.sample({{"cluster_id", cluster}, {"node_id", n.id}}, n.converged ? 1 : 0);
    x.family("swarmpki_cluster_node_blocking_rotation",
             "1 when a CA rotation is in progress and waits for this node, else 0.");
    for (const ClusterNode& n : report.nodes)
        x.sample({{"cluster_id", cluster}, {"node_id", n.id}}, n.blocking_rotation ? 1 : 0);
}

void rotation_families(Exposition& x, const ClusterFacts& c) {
    std::vector<PrometheusLabel> id{{"cluster_id", c.id}};
    const ClusterRotation& r = c.rotation;
    x.family("swarmpki_cluster_rotation_in_progress",
             "1 while the engine reports a CA rotation in progress, else 0.");
    x.sample(id, r.in_progress ? 1 : 0);
    x.family("swarmpki_cluster_rotation_converged_nodes",
             "Nodes that report the desired issuer (the new root during a rotation).");
    x.sample(id, static_cast<double>(r.converged));
    x.family("swarmpki_cluster_rotation_total_nodes", "Nodes the rotation has to converge.");
    x.sample(id, static_cast<double>(r.total));
    x.family("swarmpki_cluster_rotation_blocking_nodes",
             "Nodes the in-progress CA rotation waits for; while one of them cannot converge "
             "by itself the estimate has no sample.");
    x.sample(id, static_cast<double>(r.blocked_by.size()));
    x.family("swarmpki_cluster_rotation_estimated_engine_seconds",
             "The engine's remaining time for the rotation by its own pacing (3 s ticks, 30 "
             "nodes a tick); no sample when blocked or when no rotation is in progress.");
    if (r.estimated_engine_seconds) x.sample(id, *r.estimated_engine_seconds);
}

void ca_families(Exposition& x, const ClusterFacts& c) {
    x.family("swarmpki_cluster_cert_expiry_seconds",
             "The configured node certificate lifetime (Spec.CAConfig.NodeCertExpiry).");
    if (c.cert_expiry) x.sample({}, static_cast<double>(c.cert_expiry->count()));
    x.family("swarmpki_cluster_cert_expiry_applied",
             "1 when this manager's leaf lifetime is the configured cert-expiry plus the 1 h "
             "backdate, 0 when it is not (a stale signer); no sample when the leaf was not read.");
    if (c.cert_expiry_applied) x.sample({}, c.cert_expiry_applied->applied ? 1 : 0);
    x.family("swarmpki_cluster_join_token_pins_root",
             "1 when the role's join token carries the trust root's digest, else 0.");
    x.sample({{"role", "worker"}}, c.worker_token.pins_trust_root ? 1 : 0);
    x.sample({{"role", "manager"}}, c.manager_token.pins_trust_root ? 1 : 0);
    x.family("swarmpki_cluster_trust_root_not_after_timestamp_seconds",
             "NotAfter of the cluster's trust root as a Unix timestamp.");
    if (c.trust_root.not_after) x.sample({}, unix_time(*c.trust_root.not_after));
}

void status_families(Exposition& x, const ClusterReport& report) {
    x.family("swarmpki_cluster_findings", "Findings of the cluster report by code and severity.");
    std::map<std::pair<std::string, std::string>, std::size_t> counts;
    for (const Finding& f : report.findings) ++counts[{f.code, std::string(to_string(f.severity))}];
    for (const auto& [key, count] : counts)
        x.sample({{"code", key.first}, {"severity", key.second}}, static_cast<double>(count));
    x.family("swarmpki_cluster_status",
             "Worst severity of the cluster report as its exit code: 0 ok, 1 warning, 2 "
             "critical, 3 unknown.");
    x.sample({}, static_cast<double>(exit_code_for(report.status)));
    x.family("swarmpki_cluster_evaluated_at_timestamp_seconds",
             "The instant the cluster report was evaluated at, as a Unix timestamp.");
    x.sample({}, unix_time(report.evaluated_at));
}

}  // namespace

std::string render_cluster_prometheus(const ClusterReport& report) {
    Exposition x;
    node_count_family(x, report.nodes);
    node_families(x, report);
    rotation_families(x, report.cluster);
    ca_families(x, report.cluster);
    status_families(x, report);
    return x.take();
}

std::string render_engine_read_prometheus(const EngineReadStatus& status) {
    Exposition x;
    x.family("swarmpki_engine_up",
             "1 when the last engine read (/info, /swarm, /nodes) answered, 0 when it did not (the "
             "log says why, once per change); the swarmpki_cluster_* families are served only "
             "while it is 1.");
    x.sample({}, status.up ? 1 : 0);
    x.family("swarmpki_engine_last_success_timestamp_seconds",
             "When the engine last answered, as a Unix timestamp; 0 before it first did.");
    x.sample({}, status.last_success_at ? unix_time(*status.last_success_at) : 0);
    x.family("swarmpki_engine_read_duration_seconds",
             "Seconds the last engine read took, answered or not.");
    x.sample({}, status.read_seconds);
    return x.take();
}

}  // namespace swarmpki
