// Webhook event names, ids and the three body shapes (native, Slack, Alertmanager).
//
// The native body follows CloudEvents' JSON layout (specversion 1.0, id, type, source, subject,
// time) so generic receivers can route on `type`; Slack and Alertmanager receivers get the shape
// they accept natively, rendered from the same Event so they cannot disagree.
#include "swarmpki/json_writer.hpp"
#include "swarmpki/webhook.hpp"

#include <array>
#include <utility>

namespace swarmpki {

std::string_view to_string(EventType type) {
    switch (type) {
        case EventType::cert_expired: return "io.swarmpki.cert.expired";
        case EventType::cert_expiring: return "io.swarmpki.cert.expiring";
        case EventType::cert_renewal_overdue: return "io.swarmpki.cert.renewal_overdue";
        case EventType::cert_not_yet_valid: return "io.swarmpki.cert.not_yet_valid";
        case EventType::cert_ok: return "io.swarmpki.cert.ok";
        case EventType::rotation_started: return "io.swarmpki.rotation.started";
        case EventType::rotation_completed: return "io.swarmpki.rotation.completed";
        case EventType::root_changed: return "io.swarmpki.root.changed";
        case EventType::scan_failed: return "io.swarmpki.scan.failed";
        case EventType::scan_recovered: return "io.swarmpki.scan.recovered";
        case EventType::rotation_blocked: return "io.swarmpki.rotation.blocked";
        case EventType::rotation_finished: return "io.swarmpki.rotation.finished";
        case EventType::node_down: return "io.swarmpki.node.down";
        case EventType::cert_expiry_not_applied: return "io.swarmpki.cert_expiry.not_applied";
    }
    return "io.swarmpki.unknown";
}

std::string new_event_id() {
    std::array<std::uint8_t, 16> bytes{};
    random_bytes(bytes.data(), bytes.size());
    return "msg_" + hex_encode(bytes.data(), bytes.size());
}

Event sample_event(std::string_view source, Instant now) {
    Event event;
    event.id = new_event_id();
    event.type = EventType::cert_expiring;
    event.source = std::string(source);
    event.subject = "/var/lib/docker/swarm/certificates/swarm-node.crt";
    event.time = now;
    event.severity = Severity::warning;
    event.summary = "test event from swarmpki notify --test: a sample node certificate expiring "
                    "in 7 days";
    event.data.node_id = "sampleexamplenodeid000000";
    event.data.role = "worker";
    event.data.cluster_id = "sampleexampleclusterid000";
    event.data.fips = false;
    event.data.serial = "00";
    event.data.not_after = now + std::chrono::days(7);
    event.data.remaining_seconds = 7 * 24 * 3600;
    event.data.status = "expiring";
    return event;
}

std::optional<WebhookFormat> parse_webhook_format(std::string_view text) {
    if (text == "native") return WebhookFormat::native;
    if (text == "slack") return WebhookFormat::slack;
    if (text == "alertmanager") return WebhookFormat::alertmanager;
    return std::nullopt;
}

std::string_view to_string(WebhookFormat format) {
    switch (format) {
        case WebhookFormat::native: return "native";
        case WebhookFormat::slack: return "slack";
        case WebhookFormat::alertmanager: return "alertmanager";
    }
    return "native";
}

namespace {

void write_data(JsonWriter& json, const EventData& data) {
    json.begin_object();
    json.member("node_id", data.node_id).member("role", data.role);
    json.member("cluster_id", data.cluster_id).member("fips", data.fips);
    json.member("serial", data.serial);
    json.key("not_after");
    if (data.not_after) json.value(format_rfc3339(*data.not_after));
    else json.null();
    json.key("remaining_seconds");
    if (data.remaining_seconds) json.value(*data.remaining_seconds);
    else json.null();
    if (data.status) json.member("status", *data.status);
    if (data.previous_status) json.member("previous_status", *data.previous_status);
    if (data.previous_severity)
        json.member("previous_severity", std::string(to_string(*data.previous_severity)));
    if (data.root_sha256) json.member("root_sha256", *data.root_sha256);
    if (data.previous_root_sha256) json.member("previous_root_sha256", *data.previous_root_sha256);
    if (data.error) json.member("error", *data.error);
    if (data.converged) json.member("converged", static_cast<std::int64_t>(*data.converged));
    if (data.total) json.member("total", static_cast<std::int64_t>(*data.total));
    if (data.cert_expiry_seconds) json.member("cert_expiry_seconds", *data.cert_expiry_seconds);
    if (data.leaf_lifetime_seconds)
        json.member("leaf_lifetime_seconds", *data.leaf_lifetime_seconds);
    if (!data.nodes.empty()) {
        json.key("nodes").begin_array();
        for (const EventNode& n : data.nodes) {
            json.begin_object().member("node_id", n.node_id).member("hostname", n.hostname);
            json.member("role", n.role).member("state", n.state).member("reason", n.reason);
            json.end_object();
        }
        json.end_array();
    }
    json.end_object();
}

std::string native_body(const Event& e) {
    JsonWriter json(JsonStyle::compact);
    json.begin_object();
    json.member("specversion", "1.0").member("id", e.id);
    json.member("type", std::string(to_string(e.type))).member("source", e.source);
    json.member("subject", e.subject).member("time", format_rfc3339(e.time));
    json.member("datacontenttype", "application/json");
    json.member("severity", std::string(to_string(e.severity))).member("summary", e.summary);
    json.key("data");
    write_data(json, e.data);
    json.end_object();
    return json.take();
}

const char* slack_colour(Severity severity) {
    switch (severity) {
        case Severity::critical:
        case Severity::unknown: return "danger";
        case Severity::warning: return "warning";
        default: return "good";
    }
}

// Slack reads `<...>` in message text as a control sequence (`<!channel>` pings everyone,
// `<https://x|label>` is a disguised link) and asks senders to escape exactly these three.
// Certificate names, paths and errors come from files anyone may have written, so every string
// Slack displays goes through here.
std::string slack_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string slack_body(const Event& e) {
    JsonWriter json(JsonStyle::compact);
    json.begin_object();
    std::string severity(to_string(e.severity));
    json.member("text", slack_escape("[" + severity + "] " + e.summary));
    json.key("attachments").begin_array().begin_object();
    json.member("color", slack_colour(e.severity));
    json.member("title", slack_escape(to_string(e.type)));
    json.member("text", slack_escape(e.subject));
    json.member("footer", slack_escape(e.source + " " + e.id));
    json.member("ts", unix_seconds(e.time));
    json.key("fields").begin_array();
    auto field = [&](const char* title, const std::optional<std::string>& value) {
        if (!value || value->empty()) return;
        json.begin_object().member("title", slack_escape(title));
        json.member("value", slack_escape(*value));
        json.member("short", true).end_object();
    };
    field("node", e.data.node_id);
    field("role", e.data.role);
    std::optional<std::string> cluster = e.data.cluster_id;
    if (cluster && e.data.fips.value_or(false)) *cluster += " (FIPS)";
    field("cluster", cluster);
    if (e.data.not_after)
        field("not after", std::optional<std::string>(format_rfc3339(*e.data.not_after)));
    json.end_array().end_object().end_array();
    json.end_object();
    return json.take();
}

// Alertmanager identifies an alert by its labels, so labels hold only what names the problem;
// status and numbers go into annotations. Resolving events re-send the label set with endsAt.
std::string alert_name(EventType type) {
    switch (type) {
        case EventType::rotation_started:
        case EventType::rotation_completed:
        case EventType::rotation_finished: return "SwarmpkiRotationInProgress";
        case EventType::rotation_blocked: return "SwarmpkiRotationBlocked";
        case EventType::node_down: return "SwarmpkiNodeDown";
        case EventType::cert_expiry_not_applied: return "SwarmpkiCertExpiryNotApplied";
        case EventType::root_changed: return "SwarmpkiRootChanged";
        case EventType::scan_failed:
        case EventType::scan_recovered: return "SwarmpkiScanFailed";
        default: return "SwarmpkiCertificate";
    }
}

std::string alertmanager_body(const Event& e) {
    bool resolves = e.type == EventType::cert_ok || e.type == EventType::rotation_completed ||
                    e.type == EventType::rotation_finished || e.type == EventType::scan_recovered;
    Severity label_severity = e.severity;
    if (resolves && e.data.previous_severity) label_severity = *e.data.previous_severity;
    if (e.type == EventType::rotation_completed || e.type == EventType::rotation_finished)
        label_severity = Severity::notice;
    JsonWriter json(JsonStyle::compact);
    json.begin_array().begin_object();
    json.key("labels").begin_object();
    json.member("alertname", alert_name(e.type)).member("path", e.subject);
    json.member("severity", std::string(to_string(label_severity)));
    if (e.data.cluster_id) json.member("cluster_id", *e.data.cluster_id);
    if (e.data.cluster_id && e.data.fips) json.member("fips", *e.data.fips ? "true" : "false");
    if (e.data.node_id) json.member("node_id", *e.data.node_id);
    if (e.data.role) json.member("role", *e.data.role);
    json.end_object();
    json.key("annotations").begin_object();
    json.member("summary", e.summary).member("event_type", std::string(to_string(e.type)));
    json.member("event_id", e.id);
    if (e.data.status) json.member("status", *e.data.status);
    if (e.data.not_after) json.member("not_after", format_rfc3339(*e.data.not_after));
    json.end_object();
    json.member("startsAt", format_rfc3339(e.time));
    if (resolves) json.member("endsAt", format_rfc3339(e.time));
    json.member("generatorURL", e.source);
    json.end_object().end_array();
    return json.take();
}

}  // namespace

std::string render_event_body(const Event& event, WebhookFormat format) {
    switch (format) {
        case WebhookFormat::slack: return slack_body(event);
        case WebhookFormat::alertmanager: return alertmanager_body(event);
        case WebhookFormat::native: break;
    }
    return native_body(event);
}

}  // namespace swarmpki
