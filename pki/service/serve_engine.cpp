// `serve --engine`: the engine read of every scan and its families. The report is the one
// `swarmpki cluster` builds (build_cluster_report decides everything) and its families are
// rendered by the same function as `cluster --format prometheus`, so the two cannot disagree.
#include "serve_internal.hpp"
#include "swarmpki/cluster_render.hpp"

#include <chrono>
#include <utility>

namespace swarmpki::serve_detail {

EngineReader::EngineReader(ServeEngineSettings settings) : settings_(std::move(settings)) {}

EngineReader::~EngineReader() = default;

namespace {

std::optional<LocalLeaf> local_leaf(const std::optional<std::string>& dir, const EngineInfo& info) {
    try {
        return read_local_leaf(dir, info);
    } catch (const Error&) {
        // serve's own scan of --dir reports an unreadable leaf; here it only has no sample
        return std::nullopt;
    }
}

}  // namespace

EngineSnapshot EngineReader::read(Instant now, const EngineSnapshot* previous) {
    EngineSnapshot out;
    if (previous) {
        out.last_success_at = previous->last_success_at;
        out.report = previous->report;
        out.cluster_json = previous->cluster_json;
    }
    auto started = std::chrono::steady_clock::now();
    try {
        if (!client_)
            client_ = std::make_unique<EngineClient>(settings_.endpoint, settings_.limits);
        ClusterInputs inputs = read_cluster_inputs(*client_, now);
        inputs.local_leaf = local_leaf(settings_.leaf_dir, inputs.info);
        auto report = std::make_shared<const ClusterReport>(build_cluster_report(inputs));
        out.up = true;
        out.last_success_at = now;
        out.metrics = render_cluster_prometheus(*report);
        out.cluster_json = render_cluster_json(*report);
        out.report = std::move(report);
    } catch (const std::exception& e) {
        client_.reset();
        out.up = false;
        out.error = e.what();
    }
    out.read_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

std::string engine_metric_families(const EngineSnapshot& engine) {
    std::string out = render_engine_read_prometheus(
        {engine.up, engine.last_success_at, engine.read_seconds});
    if (engine.up) out += engine.metrics;
    return out;
}

}  // namespace swarmpki::serve_detail
