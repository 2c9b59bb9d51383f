// `swarmpki serve`: a Prometheus exporter (and webhook notifier) over optional mutual TLS.
//
// A background scanner reads the configured node directories every interval, each file once, and
// publishes an immutable Snapshot (the facts, pre-rendered /metrics and /v1/inspect bodies, the
// scan's outcome and the reduced ScanState) by swapping a shared_ptr under a mutex; request
// handlers only copy that pointer, so a scrape never waits on the disk, and a dead webhook
// receiver (its own thread) never waits on anything here. TLS keys are loaded by the core (engine
// key files carry PEM headers OpenSSL refuses, and may be autolocked), and client certificates
// are verified the engine's way, so a node presenting a mid-rotation chain (leaf + cross-signed
// intermediate) is admitted against the old root.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error "swarmpki/serve.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/engine_client.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"
#include "swarmpki/webhook.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

// ---- Listening address ----

struct ListenAddress {
    std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
    int port = 0;      // 0: any free port (tests)
};

// "127.0.0.1:9323", "[::1]:9323", "localhost:9323", ":9323" (every interface). UsageError else.
ListenAddress parse_listen_address(std::string_view text);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

// ---- What one scan produced ----

// One scan reads each configured directory once (a tree is expanded by plan_scan, as `expiry`
// expands it) and establishes every fact that is served until the next: the expiry records, the
// inspect report of each node directory, and whether everything could be read. /metrics,
// /v1/inspect, /healthz, the log and the webhook detector all read this one immutable value.
// The engine side of a scan (`serve --engine`): the cluster report of the last engine read that
// answered, and whether the latest one did. Read on the scanner's thread after the directories,
// so a scrape never waits on the engine either.
struct EngineSnapshot {
    bool up = false;                              // the latest read answered
    std::optional<std::string> error;             // why it did not, one line (EngineError::what())
    std::optional<Instant> last_success_at;       // the last read that answered
    double read_seconds = 0;                      // how long the latest read took
    std::shared_ptr<const ClusterReport> report;  // the last read that answered; null before
    std::string metrics;                          // swarmpki_cluster_* of `report`, only while up
    std::string cluster_json;                     // the swarmpki.cluster/v1 document of `report`
};

struct Snapshot {
    std::uint64_t generation = 0;  // 1 for the first scan after start, one more each scan after
    Instant scanned_at{};
    double scan_seconds = 0;  // how long the scan took
    // Every configured directory, every node directory under a tree and every certificate file
    // was read and evaluated. When not, `failure` says what was not, in one line.
    bool scan_succeeded = false;
    std::optional<std::string> failure;
    std::optional<Instant> last_success_at;  // the last scan that succeeded
    // The facts. A scan that threw (nothing established: an allocation failure) keeps those of
    // the scan before it, so the bodies stay those of the last scan that had any.
    std::shared_ptr<const ExpiryReport> expiry;
    std::shared_ptr<const InspectReport> inspect;  // one NodeReport per node directory
    std::string metrics;       // the expiry families and the inspect verdicts per node directory
    std::string inspect_json;  // the swarmpki.inspect/v1 document
    // The worst of everything served: the expiry status, every inspect verdict, unknown when
    // the scan failed. swarmpki_status says it.
    Severity status = Severity::unknown;
    ScanState state;                       // what the webhook transition detector compares
    std::optional<EngineSnapshot> engine;  // with `serve --engine` only
};

struct ScanSettings {
    std::vector<std::string> dirs;
    ExpiryOptions expiry;                           // `at` is overwritten with each scan's now
    std::shared_ptr<const SecretBytes> unlock_key;  // may be null
};

// Reads the directories once, as of `now` (pure apart from the reads: no clock, no threads
// beyond expiry's own workers); `generation` is the caller's. Throws only on programming
// errors; unreadable input is part of the snapshot (`failure`, `unknown` verdicts, failures in
// the ScanState).
Snapshot scan_directories(const ScanSettings& settings, Instant now);

// ---- TLS ----

struct TlsSettings {
    std::string cert_file;                      // leaf first, then intermediates
    std::string key_file;                       // PKCS#8/SEC1, engine headers, autolock allowed
    std::optional<std::string> client_ca_file;  // require client certificates chained to these
};

// --tls-from-dir DIR: the node's own certificate and key, clients chained to its trust root.
TlsSettings tls_from_node_directory(const std::string& dir);

// ---- The server ----

// What any client that can reach the port may hold (docs/serve.md states each one). A bounded
// front owns every connection until its request head is complete; only then does a worker hand
// it to cpp-httplib. Tests shorten the timeouts.
struct ServeLimits {
    std::size_t max_connections = 512;  // open at once, handshakes and idle keep-alive included;
                                        // lowered to fit RLIMIT_NOFILE when that is smaller
    std::size_t max_header_bytes = 16 * 1024;  // one request head: request line and fields
    std::size_t max_header_fields = 64;
    std::chrono::milliseconds tls_handshake_timeout{3000};  // from the accept
    // For a whole request head, from when the connection is ready for it (accepted, handshake
    // done, or the previous response sent): covers idle keep-alive and slow (trickled) heads.
    std::chrono::milliseconds header_timeout{5000};
    std::chrono::milliseconds write_timeout{10000};  // for a whole response
    std::size_t keep_alive_max_requests = 1000;      // per connection
};

// `serve --engine`: the cluster as `swarmpki cluster` reads it, on every scan.
struct ServeEngineSettings {
    EngineEndpoint endpoint;
    EngineLimits limits;
    // This manager's certificates directory for the applied cert-expiry; null: the engine's
    // <DockerRootDir>/swarm/certificates when readable. Never fatal: unread, no sample.
    std::optional<std::string> leaf_dir;
};

struct ServeOptions {
    ListenAddress listen{"127.0.0.1", 9323};
    ScanSettings scan;
    std::chrono::milliseconds interval{60000};
    std::optional<TlsSettings> tls;
    std::optional<ServeEngineSettings> engine;
    bool allow_insecure_public = false;
    std::size_t worker_threads = 8;  // requests processed at once (connections are the front's)
    ServeLimits limits;
    std::optional<DeliveryOptions> webhooks;  // with `webhook_secret`
    std::shared_ptr<const SecretBytes> webhook_secret;
    std::string event_source = "swarmpki://localhost/serve";
    std::function<Instant()> clock;             // the command passes the wall clock
    std::function<void(std::string_view)> log;  // one logfmt line per call (stderr)
};

class Server {
public:
    // Validates the options and loads the TLS material: throws swarmpki::Error naming the file
    // (unreadable key, wrong unlock key, key not matching the certificate) or UsageError (a
    // public address without TLS).
    explicit Server(ServeOptions options);
    ~Server();  // stop() + join
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Runs the first scan, binds, then serves and rescans on background threads. Throws
    // swarmpki::Error when the address cannot be bound.
    void start();
    int port() const;  // the bound port (useful with port 0)
    // Stops accepting, finishes in-flight requests, joins every thread. Idempotent.
    void stop();
    // Blocks until stop() has been called from elsewhere (a signal handler thread).
    void wait();

    std::shared_ptr<const Snapshot> snapshot() const;
    // Scans now on the caller's thread and publishes the result (tests, SIGHUP-like use).
    void rescan();
    DeliveryCounters webhook_counters() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace swarmpki
