// Fuzzes the Engine API reply parser and the cluster report built on what it accepts. The input
// is one reply, or three (/info, /swarm, /nodes) separated by a line "===" (never valid inside
// JSON). Beyond "no crash, no UB", it checks what callers rely on: a parse gives a value or a
// one-line error, never both or neither, and no error quotes a token; an engine error message is
// one clean line of valid UTF-8; a report never counts more converged nodes than nodes, names
// only its own nodes as blockers, blocks only a rotation in progress, estimates only a rotation
// nobody blocks for good, and its status is its worst finding. (Whether a secret leaks cannot be
// judged here: a hostile engine may put token-shaped text in a hostname; the unit tests check the
// real captures' secrets.)
#include "swarmpki/cluster.hpp"
#include "swarmpki/engine_reply.hpp"
#include "swarmpki/utf8.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace swarmpki;

template <class T>
void check_parse(const EngineParse<T>& parsed) {
    if (parsed.value.has_value() == !parsed.error.empty()) std::abort();
    if (parsed.error.find('\n') != std::string::npos) std::abort();
    if (parsed.error.find("SWMTKN") != std::string::npos) std::abort();
}

void check_error_message(std::string_view body) {
    std::string message = engine_error_message(body);
    if (message.size() > 300 || !is_valid_utf8(message)) std::abort();
    for (char c : message)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
}

void check_report(const ClusterInputs& inputs) {
    ClusterReport report = build_cluster_report(inputs);
    const ClusterRotation& rotation = report.cluster.rotation;
    if (rotation.total != inputs.nodes.size() || report.nodes.size() != inputs.nodes.size())
        std::abort();
    if (rotation.converged > rotation.total) std::abort();
    if (!rotation.in_progress &&
        (!rotation.blocked_by.empty() || rotation.estimated_engine_seconds))
        std::abort();
    if (rotation.blocked_by.size() + rotation.converged > rotation.total) std::abort();
    for (const std::string& id : rotation.blocked_by)
        if (std::none_of(report.nodes.begin(), report.nodes.end(),
                         [&](const ClusterNode& n) { return n.id == id && n.blocking_rotation; }))
            std::abort();
    if (rotation.estimated_engine_seconds && *rotation.estimated_engine_seconds <= 0) std::abort();
    if (report.status != worst_severity(report.findings)) std::abort();
    for (const Finding& f : report.findings) {
        if (f.code.empty() || f.message.empty()) std::abort();
        for (char c : f.code)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) std::abort();
    }
}

std::vector<std::string_view> split_replies(std::string_view text) {
    std::vector<std::string_view> parts;
    constexpr std::string_view kSeparator = "\n===\n";
    for (std::size_t at; parts.size() < 2 && (at = text.find(kSeparator)) != text.npos;) {
        parts.push_back(text.substr(0, at));
        text.remove_prefix(at + kSeparator.size());
    }
    parts.push_back(text);
    return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    auto info = parse_engine_info(text);
    auto swarm = parse_engine_swarm(text);
    auto nodes = parse_engine_nodes(text);
    check_parse(info);
    check_parse(swarm);
    check_parse(nodes);
    check_parse(parse_engine_version(text));
    check_error_message(text);

    static const Instant at = *parse_rfc3339("2026-12-01T18:57:00Z");
    ClusterInputs inputs;
    inputs.at = at;
    inputs.local_leaf = LocalLeaf{"swarm-node.crt", at - Seconds{3600}, at + Seconds{3 * 3600}};
    if (nodes.value) {
        inputs.nodes = *nodes.value;
        check_report(inputs);
    }
    std::vector<std::string_view> parts = split_replies(text);
    if (parts.size() != 3) return 0;
    auto info3 = parse_engine_info(parts[0]);
    auto swarm3 = parse_engine_swarm(parts[1]);
    auto nodes3 = parse_engine_nodes(parts[2]);
    check_parse(info3);
    check_parse(swarm3);
    check_parse(nodes3);
    if (!info3.value || !swarm3.value || !nodes3.value) return 0;
    inputs.info = *info3.value;
    inputs.swarm = *swarm3.value;
    inputs.nodes = *nodes3.value;
    check_report(inputs);
    return 0;
}
