// The engine side of the transition detector (`serve --engine`): consecutive cluster reports in,
// events out. Every fact (in progress, who blocks and why, down, cert-expiry applied) was decided
// by build_cluster_report; this file only compares two reports, the way webhook_transitions.cpp
// compares two scans: each event once per transition, and on the first report only problems.
#include "swarmpki/webhook.hpp"

#include <set>
#include <utility>

namespace swarmpki {

namespace {

std::string cluster_subject(const ClusterReport& r) { return "cluster/" + r.cluster.id; }

EventNode event_node(const ClusterNode& n) {
    return EventNode{n.id, n.hostname, n.role ? to_string(*n.role) : "", n.state, n.reason};
}

Event cluster_event(EventType type, const ClusterReport& r, Severity severity, std::string subject,
                    std::string summary, std::string_view source) {
    Event e;
    e.id = new_event_id();
    e.type = type;
    e.source = std::string(source);
    e.subject = std::move(subject);
    e.time = r.evaluated_at;
    e.severity = severity;
    e.summary = std::move(summary);
    e.data.cluster_id = r.cluster.id;
    return e;
}

void with_progress(Event& e, const ClusterRotation& rotation) {
    e.data.converged = rotation.converged;
    e.data.total = rotation.total;
}

std::string progress(const ClusterRotation& rotation) {
    return std::to_string(rotation.converged) + "/" + std::to_string(rotation.total) +
           " nodes converged";
}

void rotation_events(const ClusterReport* previous, const ClusterReport& current,
                     std::string_view source, std::vector<Event>& out) {
    const ClusterRotation& now = current.cluster.rotation;
    bool was_rotating = previous && previous->cluster.rotation.in_progress;
    if (now.in_progress && !was_rotating) {
        Event e = cluster_event(EventType::rotation_started, current, Severity::notice,
                                cluster_subject(current),
                                "root CA rotation in progress (" + progress(now) + ")", source);
        with_progress(e, now);
        out.push_back(std::move(e));
    }
    if (now.in_progress) {
        std::set<std::string> before;
        if (was_rotating)
            before.insert(previous->cluster.rotation.blocked_by.begin(),
                          previous->cluster.rotation.blocked_by.end());
        bool new_blocker = false;
        for (const std::string& id : now.blocked_by) new_blocker |= before.count(id) == 0;
        if (new_blocker) {
            std::string names;
            Event e = cluster_event(EventType::rotation_blocked, current, Severity::critical,
                                    cluster_subject(current), {}, source);
            for (const ClusterNode& n : current.nodes) {
                if (!n.blocking_rotation) continue;
                e.data.nodes.push_back(event_node(n));
                names += (names.empty() ? "" : ", ") + n.id +
                         (n.hostname.empty() ? "" : " (" + n.hostname + ")");
            }
            e.summary = "root CA rotation blocked by " + names + " (" + progress(now) + ")";
            with_progress(e, now);
            out.push_back(std::move(e));
        }
    }
    if (!now.in_progress && was_rotating) {
        Event e = cluster_event(EventType::rotation_finished, current, Severity::info,
                                cluster_subject(current),
                                "root CA rotation finished (" + progress(now) + ")", source);
        with_progress(e, now);
        e.data.previous_severity = Severity::notice;
        out.push_back(std::move(e));
    }
}

void node_events(const ClusterReport* previous, const ClusterReport& current,
                 std::string_view source, std::vector<Event>& out) {
    std::set<std::string> down_before;
    if (previous)
        for (const ClusterNode& n : previous->nodes)
            if (n.state == "down") down_before.insert(n.id);
    for (const ClusterNode& n : current.nodes) {
        if (n.state != "down" || down_before.count(n.id)) continue;
        Event e = cluster_event(EventType::node_down, current, Severity::warning, "node/" + n.id,
                                (n.role ? std::string(to_string(*n.role)) + " " : "") + n.id +
                                    (n.hostname.empty() ? "" : " (" + n.hostname + ")") +
                                    " is down",
                                source);
        e.data.node_id = n.id;
        if (n.role) e.data.role = to_string(*n.role);
        e.data.nodes.push_back(event_node(n));
        out.push_back(std::move(e));
    }
}

bool not_applied(const ClusterReport& r) {
    return r.cluster.cert_expiry_applied && !r.cluster.cert_expiry_applied->applied;
}

void cert_expiry_events(const ClusterReport* previous, const ClusterReport& current,
                        std::string_view source, std::vector<Event>& out) {
    if (!not_applied(current) || (previous && not_applied(*previous))) return;
    const CertExpiryApplied& leaf = *current.cluster.cert_expiry_applied;
    Event e = cluster_event(
        EventType::cert_expiry_not_applied, current, Severity::warning, leaf.leaf_path,
        "this manager's leaf " + leaf.leaf_path + " was not issued with the configured cert-expiry",
        source);
    e.data.leaf_lifetime_seconds = leaf.leaf_lifetime.count();
    if (current.cluster.cert_expiry)
        e.data.cert_expiry_seconds = current.cluster.cert_expiry->count();
    out.push_back(std::move(e));
}

}  // namespace

std::vector<Event> detect_cluster_transitions(const ClusterReport* previous,
                                              const ClusterReport& current,
                                              std::string_view source) {
    std::vector<Event> events;
    rotation_events(previous, current, source, events);
    node_events(previous, current, source, events);
    cert_expiry_events(previous, current, source, events);
    return events;
}

}  // namespace swarmpki
