// Pieces of `serve`'s scan shared between its own .cpp files (not part of the public API).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_internal.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/cert_scan.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/prometheus.hpp"
#include "swarmpki/serve.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace swarmpki::serve_detail {

// `path` is `dir` or lies below it ("/a/b" is under "/a" and "/a/", "/ab" is not).
bool is_under(const std::string& path, const std::string& dir);

// The inspect side of one scan: expiry's workers hand it each node directory they read
// (ExpiryOptions::on_node_directory), and it keeps that directory's NodeReport, so inspect and
// expiry judge the same bytes. Thread-safe; never throws from the callback.
class NodeInspector {
public:
    NodeInspector(const SecretBytes* unlock_key, Instant now);
    void inspect(const CertificatesDirectory& dir);
    // The reports in the plan's order, one per node directory unit. A unit the callback never
    // saw, and a configured path that expanded to no node directory because it could not be
    // read, get an `unknown` report carrying the scan's own error for it.
    std::vector<NodeReport> reports(const ScanPlan& plan,
                                    const std::vector<std::string>& configured,
                                    const std::vector<ScanError>& errors);

private:
    InspectOptions options_;
    Instant now_;
    std::mutex mutex_;
    std::map<std::string, NodeReport> by_dir_;
};

// The inspect verdicts as gauges after the expiry families: swarmpki_node_status and
// swarmpki_node_finding per node directory, swarmpki_fleet_finding for the fleet summary.
std::vector<ExtraGauge> verdict_gauges(const InspectReport& report);

// After `next` (this scan) comes `previous`: the last success time carries over and, when this
// scan threw and established nothing, so do the facts and bodies, re-rendered with
// swarmpki_status unknown (serve_scan.cpp).
void carry_forward(Snapshot& next, const Snapshot& previous);

}  // namespace swarmpki::serve_detail

namespace swarmpki::serve_detail {

// `serve --engine`'s reads (serve_engine.cpp): one client kept between scans (its negotiated
// version too: three GETs a scan), dropped after a failure so the next read pings again.
class EngineReader {
public:
    explicit EngineReader(ServeEngineSettings settings);
    ~EngineReader();
    EngineReader(const EngineReader&) = delete;
    EngineReader& operator=(const EngineReader&) = delete;
    // Reads the cluster once as of `now` and builds its report (never throws on an engine that
    // does not answer: that is `up = false` and `error`); `previous` is the last scan's, whose
    // report and last success carry over while the engine is down.
    EngineSnapshot read(Instant now, const EngineSnapshot* previous);

private:
    ServeEngineSettings settings_;
    std::unique_ptr<EngineClient> client_;
};

// swarmpki_engine_up, swarmpki_engine_last_success_timestamp_seconds,
// swarmpki_engine_read_duration_seconds and, while up, the cluster families.
std::string engine_metric_families(const EngineSnapshot& engine);

}  // namespace swarmpki::serve_detail
