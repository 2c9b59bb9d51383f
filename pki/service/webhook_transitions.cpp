// The transition detector: consecutive scans in, events out.
//
// Statuses are compared per certificate (path + serial). When the serial at a path changed, the
// node renewed: the new certificate is compared with the one it replaced, so a renewal that
// clears an "expiring" status produces `cert.ok` instead of silence. `ok` and `renewal-window`
// are the same thing to a pager (renewal-window is normal), so moving between them is no event.
// Every scan.failed (a directory, or the whole scan) is answered by a scan.recovered for the same
// subject once it reads again.
#include "swarmpki/webhook.hpp"

#include <map>
#include <utility>

namespace swarmpki {

namespace {

bool healthy(std::string_view status) { return status == "ok" || status == "renewal-window"; }

std::optional<EventType> cert_event_type(std::string_view status) {
    if (status == "expired") return EventType::cert_expired;
    if (status == "expiring") return EventType::cert_expiring;
    if (status == "renewal-overdue") return EventType::cert_renewal_overdue;
    if (status == "not-yet-valid") return EventType::cert_not_yet_valid;
    if (healthy(status)) return EventType::cert_ok;
    return std::nullopt;
}

std::string cert_summary(const CertificateState& c, const CertificateState* before) {
    std::string who = c.kind == "node" && !c.node_id.empty()
                          ? c.role + " " + c.node_id + "'s certificate"
                          : c.kind + " certificate " + c.path;
    std::string when = format_rfc3339(c.not_after);
    if (c.status == "expired") return who + " expired at " + when;
    if (c.status == "expiring") return who + " expires at " + when;
    if (c.status == "renewal-overdue")
        return who +
               " is past 80% of its lifetime and not renewed (is the node reaching a "
               "manager?); expires at " +
               when;
    if (c.status == "not-yet-valid") return who + " is not valid yet";
    if (before) return who + " is " + c.status + " again (was " + before->status + ")";
    return who + " is " + c.status;
}

Event cert_event(EventType type, const CertificateState& c, const CertificateState* before,
                 std::string_view source, Instant at) {
    Event e;
    e.id = new_event_id();
    e.type = type;
    e.source = std::string(source);
    e.subject = c.path;
    e.time = at;
    e.severity = c.severity;
    e.summary = cert_summary(c, before);
    e.data.node_id = c.node_id;
    e.data.role = c.role;
    e.data.cluster_id = c.cluster_id;
    e.data.fips = c.fips;
    e.data.serial = c.serial;
    e.data.not_after = c.not_after;
    e.data.remaining_seconds = c.remaining_seconds;
    e.data.status = c.status;
    if (before) {
        e.data.previous_status = before->status;
        e.data.previous_severity = before->severity;
    }
    return e;
}

Event dir_event(EventType type, const DirectoryState& d, Severity severity, std::string summary,
                std::string_view source, Instant at) {
    Event e;
    e.id = new_event_id();
    e.type = type;
    e.source = std::string(source);
    e.subject = d.dir;
    e.time = at;
    e.severity = severity;
    e.summary = std::move(summary);
    if (!d.node_id.empty()) e.data.node_id = d.node_id;
    if (!d.role.empty()) e.data.role = d.role;
    if (!d.cluster_id.empty()) e.data.cluster_id = d.cluster_id;
    e.data.fips = d.fips;
    if (!d.root_sha256.empty()) e.data.root_sha256 = d.root_sha256;
    if (d.error) e.data.error = d.error;
    return e;
}

// The scan.failed it answers named the directory as it was then: the same identity, so that a
// receiver keying alerts on it (Alertmanager's labels) resolves that alert.
Event recovered_event(const DirectoryState& failed, std::string_view source, Instant at) {
    Event e = dir_event(EventType::scan_recovered, failed, Severity::info,
                        failed.dir + ": read and evaluated again (was: " + *failed.error + ")",
                        source, at);
    e.data.error.reset();
    e.data.previous_severity = Severity::critical;
    return e;
}

void certificate_events(const ScanState* previous, const ScanState& current,
                        std::string_view source, std::vector<Event>& out) {
    std::map<std::pair<std::string, std::string>, const CertificateState*> by_key;
    std::map<std::string, const CertificateState*> by_path;
    if (previous)
        for (const auto& c : previous->certificates) {
            by_key[{c.path, c.serial}] = &c;
            by_path[c.path] = &c;
        }
    for (const auto& c : current.certificates) {
        auto type = cert_event_type(c.status);
        if (!type) continue;
        const CertificateState* before = nullptr;
        if (auto it = by_key.find({c.path, c.serial}); it != by_key.end()) before = it->second;
        else if (auto p = by_path.find(c.path); p != by_path.end()) before = p->second;
        if (!before) {
            if (!healthy(c.status))
                out.push_back(cert_event(*type, c, nullptr, source, current.at));
            continue;
        }
        bool same = before->status == c.status && before->severity == c.severity;
        if (same || (healthy(before->status) && healthy(c.status))) continue;
        out.push_back(cert_event(*type, c, before, source, current.at));
    }
}

void directory_events(const ScanState* previous, const ScanState& current, std::string_view source,
                      std::vector<Event>& out) {
    std::map<std::string, const DirectoryState*> before;
    if (previous)
        for (const auto& d : previous->directories) before[d.dir] = &d;
    for (const auto& d : current.directories) {
        auto it = before.find(d.dir);
        const DirectoryState* was = it == before.end() ? nullptr : it->second;
        if (d.error) {
            if (!was || was->error != d.error)
                out.push_back(dir_event(EventType::scan_failed, d, Severity::critical,
                                        d.dir + ": " + *d.error, source, current.at));
            continue;
        }
        if (was && was->error) out.push_back(recovered_event(*was, source, current.at));
        bool rotating = d.rotation_state == "in-progress";
        bool was_rotating = was && was->rotation_state == "in-progress";
        if (rotating && !was_rotating)
            out.push_back(dir_event(EventType::rotation_started, d, Severity::notice,
                                    d.dir + ": root CA rotation in progress", source, current.at));
        if (!rotating && was_rotating)
            out.push_back(dir_event(EventType::rotation_completed, d, Severity::info,
                                    d.dir + ": root CA rotation completed (rotation state " +
                                        d.rotation_state + ")",
                                    source, current.at));
        if (was && !was->error && !was->root_sha256.empty() && !d.root_sha256.empty() &&
            was->root_sha256 != d.root_sha256) {
            Event e = dir_event(EventType::root_changed, d, Severity::warning,
                                d.dir + ": trust root changed (swarm-root-ca.crt sha256 " +
                                    was->root_sha256.substr(0, 12) + "... -> " +
                                    d.root_sha256.substr(0, 12) + "...)",
                                source, current.at);
            e.data.previous_root_sha256 = was->root_sha256;
            out.push_back(std::move(e));
        }
    }
}

// An event about the scan as a whole (subject "scan"): its failure and its recovery.
Event scan_event(EventType type, Severity severity, std::string_view source, Instant at) {
    Event e;
    e.id = new_event_id();
    e.type = type;
    e.source = std::string(source);
    e.subject = "scan";
    e.time = at;
    e.severity = severity;
    return e;
}

}  // namespace

std::vector<Event> detect_transitions(const ScanState* previous, const ScanState& current,
                                      std::string_view source) {
    std::vector<Event> events;
    if (!current.failure && previous && previous->failure) {
        Event e = scan_event(EventType::scan_recovered, Severity::info, source, current.at);
        e.summary = "scan recovered (was: " + *previous->failure + ")";
        e.data.previous_severity = Severity::critical;
        events.push_back(std::move(e));
    }
    if (current.failure) {
        if (!previous || previous->failure != current.failure) {
            Event e = scan_event(EventType::scan_failed, Severity::critical, source, current.at);
            e.summary = "scan failed: " + *current.failure;
            e.data.error = current.failure;
            events.push_back(std::move(e));
        }
        return events;
    }
    // After a failed scan, compare with nothing rather than with a state that never was.
    const ScanState* baseline = previous && !previous->failure ? previous : nullptr;
    certificate_events(baseline, current, source, events);
    directory_events(baseline, current, source, events);
    return events;
}

}  // namespace swarmpki
