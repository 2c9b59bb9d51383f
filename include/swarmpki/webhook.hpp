// Webhook events: what changed between two scans, how it is shaped and signed, and how it is
// delivered without ever holding up the exporter.
//
// The scanner hands each scan to `detect_transitions` as a plain `ScanState` (certificate
// statuses, per-directory rotation state and root digest, failures); the events it returns go
// to a `WebhookDelivery`, which gives every receiver its own queue and worker thread, so a slow
// or dead receiver delays no other. Each worker posts with Standard Webhooks signatures
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), retrying
// timeouts, 5xx and 429 with capped exponential back-off under the same id, re-signed with each
// attempt's timestamp. Every attempt has one total deadline (connect, TLS, request and response
// together), reads at most kWebhookMaxResponseBody bytes of the answer's body, discarded, and
// is cut once kWebhookMaxAnswerBytes arrived (a flood of headers). Queues are bounded and drop
// the oldest event (with a log line) rather than grow or block the scanner. Time is always
// passed in: the command supplies the clock.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "swarmpki/webhook.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

// ---- What a scan saw, reduced to what transitions are computed from ----

struct CertificateState {
    std::string path;                       // the file holding the certificate
    std::string serial;                     // lowercase hex
    std::string kind;                       // node, intermediate, root
    std::string node_id, role, cluster_id;  // cluster_id without "FIPS." (node_identity.hpp)
    std::optional<bool> fips;               // null when the certificate names no cluster
    Instant not_after{};
    std::int64_t remaining_seconds = 0;
    std::string status;  // expiry status: ok, renewal-window, renewal-overdue, expiring, ...
    Severity severity = Severity::ok;
};

struct DirectoryState {
    std::string dir;
    std::string node_id, role, cluster_id;  // as in CertificateState
    std::optional<bool> fips;
    std::string rotation_state;        // none, in-progress, completed ("" when unreadable)
    std::string root_sha256;           // SHA-256 of swarm-root-ca.crt's exact bytes
    std::optional<std::string> error;  // one line: why the directory could not be read
};

struct ScanState {
    Instant at{};
    std::vector<CertificateState> certificates;
    std::vector<DirectoryState> directories;
    std::optional<std::string> failure;  // the whole scan failed
};

// ---- Events ----

enum class EventType {
    cert_expired,
    cert_expiring,
    cert_renewal_overdue,
    cert_not_yet_valid,
    cert_ok,
    rotation_started,
    rotation_completed,
    root_changed,
    scan_failed,
    scan_recovered,  // what scan_failed reported (a directory, or the whole scan) reads again
    // From the engine's cluster report (`serve --engine`): rotation_started above marks the
    // cluster's rotation too (subject "cluster/<id>").
    rotation_blocked,         // a node that cannot converge by itself now holds the rotation
    rotation_finished,        // the engine no longer reports a rotation in progress
    node_down,                // the engine reports a node down
    cert_expiry_not_applied,  // this manager's leaf was not issued with the configured lifetime
};

// "io.swarmpki.cert.expired", ...
std::string_view to_string(EventType type);

// A node an engine event is about: the blockers of rotation.blocked, the node of node.down.
struct EventNode {
    std::string node_id, hostname, role, state, reason;
};

struct EventData {
    std::optional<std::string> node_id, role, cluster_id, serial;
    std::optional<bool> fips;  // with cluster_id: the cluster's O is FIPS.<cluster_id>
    std::optional<Instant> not_after;
    std::optional<std::int64_t> remaining_seconds;
    std::optional<std::string> status, previous_status;
    std::optional<Severity> previous_severity;
    std::optional<std::string> root_sha256, previous_root_sha256;
    std::optional<std::string> error;
    // Engine events only.
    std::vector<EventNode> nodes;
    std::optional<std::size_t> converged, total;  // the rotation's progress
    std::optional<std::int64_t> cert_expiry_seconds, leaf_lifetime_seconds;
};

struct Event {
    std::string id;
    EventType type = EventType::cert_ok;
    std::string source;   // who observed it: "swarmpki://<host>/serve"
    std::string subject;  // the certificate or directory path
    Instant time{};
    Severity severity = Severity::ok;
    std::string summary;  // one line for people
    EventData data;
};

// A fresh unique event id ("msg_" + 32 hex characters from the CSPRNG).
std::string new_event_id();

// The events between `previous` (null on the first scan) and `current`. Certificates are keyed
// by path + serial; a certificate replaced at the same path (renewal) is compared with its
// predecessor, so "expiring" -> renewed gives `cert.ok`. On the first scan only problems are
// reported (non-ok certificates, a rotation under way, unreadable directories).
std::vector<Event> detect_transitions(const ScanState* previous, const ScanState& current,
                                      std::string_view source);

// The engine events between two consecutive cluster reports (`serve --engine`; previous is null
// for the first report, and the last report read when the engine was down in between). Every
// fact comes decided in the report (cluster.hpp); this only compares. As detect_transitions
// does on its first scan, the first report gives only problems: a rotation in progress
// (rotation.started, and rotation.blocked when it is blocked), nodes down, cert-expiry not
// applied. Afterwards: rotation.started when a rotation begins, rotation.blocked when a node
// joins the blockers (the event names them all, with reasons), rotation.finished when it ends,
// node.down when a node becomes down, cert_expiry.not_applied when the leaf stops matching.
std::vector<Event> detect_cluster_transitions(const ClusterReport* previous,
                                              const ClusterReport& current,
                                              std::string_view source);

// A sample event for `notify --test`.
Event sample_event(std::string_view source, Instant now);

// ---- Body shapes ----

enum class WebhookFormat { native, slack, alertmanager };

std::optional<WebhookFormat> parse_webhook_format(std::string_view text);
std::string_view to_string(WebhookFormat format);

// native: the CloudEvents-like document; slack: an incoming-webhook message; alertmanager: a
// one-element array for POST /api/v2/alerts (cert.ok, rotation.completed and scan.recovered
// resolve).
std::string render_event_body(const Event& event, WebhookFormat format);

// ---- Signing (Standard Webhooks) ----

// The signing secret: the file's bytes without trailing whitespace. Throws swarmpki::Error
// naming the file when it is unreadable or empty; the value never appears in any message.
SecretBytes load_webhook_secret(const std::string& path);

// "v1,<base64 of HMAC-SHA256(secret, id + "." + timestamp + "." + body)>"
std::string webhook_signature(const SecretBytes& secret, std::string_view id,
                              std::int64_t timestamp, std::string_view body);

// Checks a `webhook-signature` header value (space-separated list of "v1,<sig>") in constant
// time; used by receivers in tests and by anyone embedding the library.
bool webhook_signature_valid(const SecretBytes& secret, std::string_view id, std::int64_t timestamp,
                             std::string_view body, std::string_view header_value);

// ---- Logging ----

// A logfmt value: bare when it is a plain token, otherwise quoted with \" and \\ escaped and
// control characters replaced, so one event is always one line.
std::string logfmt_value(std::string_view text);

// ---- Delivery ----

// Limits (docs/serve.md, "Delivery"): what one attempt may cost, whatever the receiver does.
inline constexpr std::size_t kWebhookMaxResponseBody = 64 * 1024;  // read, then discarded
inline constexpr std::size_t kWebhookMaxAnswerBytes = 256 * 1024;  // received in all, headers too
inline constexpr std::size_t kWebhookMaxReceivers = 16;            // one worker thread each
inline constexpr std::size_t kWebhookUrlFileLimit = 64 * 1024;     // --webhook-url-file size

// An http:// or https:// URL split for the HTTP client. Throws UsageError ("--webhook ...") on
// anything else, naming only the scheme: the rest of a webhook URL often carries a token.
struct WebhookUrl {
    std::string scheme_host_port;  // "https://hooks.example:8443"
    std::string host;              // "hooks.example", "::1" (no brackets, no port)
    std::string path;              // "/hook?x=1" ("/" when empty)
    bool https = false;
    // Anything beyond "/": where Slack-style URLs keep their secret.
    bool has_path_or_query() const { return path != "/"; }
};
WebhookUrl parse_webhook_url(std::string_view url);

// The URLs in a --webhook-url-file: one per line; blank lines and lines starting with '#' are
// skipped, surrounding whitespace is trimmed. Throws swarmpki::Error naming the file (and the
// line) when it is unreadable, over kWebhookUrlFileLimit, holds no URL or a bad one; the
// message names at most the bad URL's scheme.
std::vector<std::string> load_webhook_urls(const std::string& path);

struct DeliveryOptions {
    std::vector<std::string> urls;
    WebhookFormat format = WebhookFormat::native;
    std::optional<std::string> ca_file;  // verify HTTPS against this instead of system roots
    // The total deadline of one attempt: name lookup aside, connect, TLS handshake, request and
    // response all end by then, however slowly the receiver drips its answer.
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds first_retry_delay{1000};  // doubles on every retry
    std::chrono::milliseconds max_retry_delay{300000};
    int max_attempts = 8;
    std::size_t queue_capacity = 1024;          // per receiver
    std::function<Instant()> clock;             // for webhook-timestamp
    std::function<void(std::string_view)> log;  // one logfmt line each, no secrets
};

// The result of one POST.
struct AttemptOutcome {
    int http_status = 0;                  // 0 when no response (connection failure, timeout)
    std::string error;                    // transport error when http_status == 0
    std::size_t response_body_bytes = 0;  // read and discarded; stops near the cap
    bool delivered() const { return http_status >= 200 && http_status < 300; }
    // Timeouts, connection failures, 5xx and 429 are worth retrying; other 4xx are not.
    bool retryable() const { return http_status == 0 || http_status == 429 || http_status >= 500; }
};

// How long to wait after the `attempt`-th failed attempt (1-based): first_retry_delay,
// doubling, never more than max_retry_delay.
std::chrono::milliseconds retry_delay(const DeliveryOptions& options, int attempt);

struct DeliveryCounters {
    std::uint64_t delivered = 0, failed = 0, retried = 0, dropped = 0;
};

class WebhookDelivery {
public:
    WebhookDelivery(DeliveryOptions options, std::shared_ptr<const SecretBytes> secret);
    ~WebhookDelivery();  // stops and joins the worker; undelivered events are logged and dropped
    WebhookDelivery(const WebhookDelivery&) = delete;
    WebhookDelivery& operator=(const WebhookDelivery&) = delete;

    // Never blocks on the network: queues one delivery on every receiver's queue, dropping that
    // receiver's oldest when it is full.
    void enqueue(const Event& event);
    DeliveryCounters counters() const;
    std::size_t queued() const;
    // Aborts the in-flight requests and joins the workers.
    void stop();

    // One signed POST now, on the caller's thread, with the workers' deadline and caps.
    static AttemptOutcome post_once(const DeliveryOptions& options, const SecretBytes& secret,
                                    const WebhookUrl& url, const std::string& id,
                                    std::string_view body);

    // Up to options.max_attempts signed POSTs on the caller's thread (`notify --test`), with the
    // workers' policy: the same id, a fresh timestamp (options.clock) and signature each time,
    // retry_delay() between them. `on_retry(attempt, outcome, delay)` runs before each wait.
    using RetryNotice = std::function<void(int, const AttemptOutcome&, std::chrono::milliseconds)>;
    static AttemptOutcome deliver_now(const DeliveryOptions& options, const SecretBytes& secret,
                                      const WebhookUrl& url, const std::string& id,
                                      std::string_view body, const RetryNotice& on_retry = {});

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace swarmpki
