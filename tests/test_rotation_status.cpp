// `rotate status`'s projection of the cluster report, its exit rule and its renderings, on the
// Engine API captures of a blocked and a finished rotation: every fact is the report's (compared
// member by member with it and with the cluster JSON), only the watch's own rules are decided
// here (a change, finished, the exit code).
#include "swarmpki/rotation_status.hpp"

#include "swarmpki/cluster_render.hpp"
#include "swarmpki/rotation_status_render.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";
const Instant kAt = *parse_rfc3339("2026-12-01T19:00:00Z");

ClusterReport capture_report(const std::filesystem::path& dir, const std::string& scenario) {
    ClusterInputs in = manager_capture_inputs(dir, scenario, kAt);
    return build_cluster_report(in);
}

// A rotation on its way: the blocked capture with its down worker back up (ready, not yet on
// the new issuer), so the report gives an estimate and no blocker.
ClusterReport converging_report(const std::filesystem::path& dir) {
    auto nodes_json = nlohmann::json::parse(
        engine_capture(dir, "rotation-blocked", "manager1", "nodes"));
    for (auto& node : nodes_json)
        if (node["ID"] == kWorker2) node["Status"]["State"] = "ready";
    return build_cluster_report(
        manager_capture_inputs(dir, "rotation-blocked", kAt, nodes_json.dump()));
}

}  // namespace

TEST_CASE("rotate status carries the blocked rotation as the cluster report decided it",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport report = capture_report(*dir, "rotation-blocked");
    RotationStatus s = rotation_status_of(report);
    CHECK(s.evaluated_at == kAt);
    CHECK(s.rotation.in_progress);
    CHECK(s.rotation.converged == report.cluster.rotation.converged);
    CHECK(s.rotation.total == report.cluster.rotation.total);
    CHECK(s.rotation.blocked_by == std::vector<std::string>{kWorker2});
    CHECK_FALSE(s.rotation.estimated_engine_seconds);
    REQUIRE(s.blockers.size() == 1);
    const ClusterNode& worker2 = report.nodes.at(1);
    REQUIRE(worker2.id == kWorker2);
    CHECK(s.blockers[0].id == kWorker2);
    CHECK(s.blockers[0].hostname == worker2.hostname);
    CHECK(s.blockers[0].role == NodeRole::worker);
    CHECK(s.blockers[0].state == "down");
    CHECK(s.blockers[0].reason == worker2.reason);
    CHECK(s.blockers[0].reason.find("docker node rm " + std::string(kWorker2)) !=
          std::string::npos);
    CHECK(s.trust_root.public_key_sha256 == report.cluster.trust_root.public_key_sha256);
    CHECK(s.blocked());
    CHECK_FALSE(s.finished);
    CHECK(rotation_status_exit_code(s, RotationWaitEnd::report) == ExitCode::critical);
    CHECK(rotation_status_exit_code(s, RotationWaitEnd::timed_out) == ExitCode::critical);
}

TEST_CASE("rotate status: a finished rotation is settled, finished only after one seen in "
          "progress, and exits 0 while the new tokens pin the new root",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    RotationStatus blocked = rotation_status_of(capture_report(*dir, "rotation-blocked"));
    ClusterReport done = capture_report(*dir, "rotation-finished-after-rm");
    RotationStatus once = rotation_status_of(done);
    CHECK(rotation_settled(once));
    CHECK_FALSE(once.finished);  // one report cannot tell finished from none
    RotationStatus after = rotation_status_of(done, blocked);
    CHECK(after.finished);
    CHECK(after.blockers.empty());
    CHECK(after.rotation.converged == after.rotation.total);
    CHECK(after.tokens_pin_trust_root());
    CHECK(after.trust_root.public_key_sha256 != blocked.trust_root.public_key_sha256);
    CHECK(rotation_status_exit_code(after, RotationWaitEnd::report) == ExitCode::ok);
    CHECK(rotation_status_changed(blocked, after));
    // Still finished on the polls after it (a watch stops at the first, but the rule holds).
    CHECK(rotation_status_of(done, after).finished);

    RotationStatus stale = after;
    stale.worker_token.pins_trust_root = false;
    CHECK(rotation_status_exit_code(stale, RotationWaitEnd::report) == ExitCode::critical);
    std::string why = rotation_status_end_message(stale, RotationWaitEnd::report, Seconds(3));
    CHECK(why.find("worker join token does not pin the trust root") != std::string::npos);
    CHECK(why.find("docker swarm join-token --rotate worker") != std::string::npos);
    CHECK(rotation_status_end_message(after, RotationWaitEnd::report, Seconds(3)).empty());
}

TEST_CASE("rotate status: a rotation on its way exits 1 as one report and 2 when a watch's "
          "timeout passes, saying it is not blocked",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport report = converging_report(*dir);
    RotationStatus s = rotation_status_of(report);
    CHECK(s.rotation.in_progress);
    CHECK_FALSE(s.blocked());
    REQUIRE(s.rotation.estimated_engine_seconds);
    CHECK(*s.rotation.estimated_engine_seconds ==
          *report.cluster.rotation.estimated_engine_seconds);
    CHECK(rotation_status_exit_code(s, RotationWaitEnd::report) == ExitCode::warning);
    CHECK(rotation_status_exit_code(s, RotationWaitEnd::timed_out) == ExitCode::critical);
    std::string why = rotation_status_end_message(s, RotationWaitEnd::timed_out, Seconds(20));
    CHECK(why.find("still converging after 20s (--timeout)") != std::string::npos);
    CHECK(why.find("nothing blocks it") != std::string::npos);
    CHECK(rotation_status_end_message(s, RotationWaitEnd::report, Seconds(0)).empty());
}

TEST_CASE("rotate status: a change is anything an operator sees, never the evaluation time",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    RotationStatus a = rotation_status_of(capture_report(*dir, "rotation-blocked"));
    RotationStatus b = a;
    b.evaluated_at += Seconds(5);
    CHECK_FALSE(rotation_status_changed(a, b));
    b = a;
    b.rotation.converged += 1;
    CHECK(rotation_status_changed(a, b));
    b = a;
    b.blockers[0].reason = "disconnected: it renews only once it is back";
    CHECK(rotation_status_changed(a, b));
    b = a;
    b.trust_root.root_file_sha256 = "00";
    CHECK(rotation_status_changed(a, b));
    b = a;
    b.manager_token.pins_trust_root = false;
    CHECK(rotation_status_changed(a, b));
    CHECK(rotation_status_changed(rotation_status_of(converging_report(*dir)), a));
}

TEST_CASE("rotate status JSON: schema, the rotation's members and the cluster JSON's trust root",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport report = capture_report(*dir, "rotation-blocked");
    RotationStatus s = rotation_status_of(report);
    std::string line = render_rotation_status_jsonl(s);
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);  // one line
    auto doc = nlohmann::json::parse(line);
    CHECK(doc == nlohmann::json::parse(render_rotation_status_json(s)));
    auto cluster = nlohmann::json::parse(render_cluster_json(report));
    CHECK(doc["schema"] == "swarmpki.rotation-status/v1");
    CHECK(doc["evaluated_at"] == "2026-12-01T19:00:00Z");
    for (const char* member :
         {"in_progress", "converged", "total", "blocked_by", "estimated_engine_seconds"})
        CHECK(doc[member] == cluster["cluster"]["rotation"][member]);
    CHECK(doc["estimated_engine_seconds"].is_null());
    CHECK(doc["trust_root"] == cluster["cluster"]["trust_root"]);
    CHECK(doc["join_tokens"] == cluster["cluster"]["join_tokens"]);
    CHECK(doc["finished"] == false);
    REQUIRE(doc["blockers"].size() == 1);
    CHECK(doc["blockers"][0]["id"] == kWorker2);
    CHECK(doc["blockers"][0]["role"] == "worker");
    CHECK(doc["blockers"][0]["reason"] == cluster["nodes"][1]["reason"]);

    auto converging = nlohmann::json::parse(
        render_rotation_status_jsonl(rotation_status_of(converging_report(*dir))));
    CHECK(converging["estimated_engine_seconds"].is_number());
    CHECK(converging["blocked_by"] == nlohmann::json::array());
}

TEST_CASE("rotate status text: the report and a watch's line name each blocker with its reason",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    RotationStatus s = rotation_status_of(capture_report(*dir, "rotation-blocked"));
    std::string text = render_rotation_status_text(s, TextColor::no);
    CHECK(text.find("rotation    in progress, 2/3 nodes converged, blocked by 1 node (it never "
                    "finishes by itself)") != std::string::npos);
    CHECK(text.find("  blocked   " + std::string(kWorker2) + " (vm, worker): down since") !=
          std::string::npos);
    CHECK(text.find("\x1b[") == std::string::npos);
    CHECK(text.find("evaluated at 2026-12-01T19:00:00Z\n") != std::string::npos);
    CHECK(render_rotation_status_text(s, TextColor::yes).find("\x1b[1;31m") != std::string::npos);

    std::string line = render_rotation_status_line(s);
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.rfind("2026-12-01T19:00:00Z rotation in progress, 2/3 nodes converged", 0) == 0);
    CHECK(line.find(std::string(kWorker2) + " (vm, worker): down since") != std::string::npos);

    RotationStatus done = rotation_status_of(capture_report(*dir, "rotation-finished-after-rm"), s);
    std::string last = render_rotation_status_line(done);
    CHECK(last.find("rotation finished, 2/2 nodes converged; trust root CN=swarm-ca, ecdsa-p256, "
                    "key " +
                    done.trust_root.public_key_sha256.substr(0, 12)) != std::string::npos);
    CHECK(last.find("worker pins the trust root, manager pins the trust root") !=
          std::string::npos);
}

namespace {

std::vector<std::string> lines_of(const std::string& frame) {
    std::vector<std::string> lines;
    for (std::size_t start = 0, end = 0; end != std::string::npos; start = end + 1) {
        end = frame.find('\n', start);
        lines.push_back(frame.substr(start, end == std::string::npos ? end : end - start));
    }
    return lines;
}

std::size_t columns(const std::string& line) {
    std::size_t cols = 0;
    for (char c : line) cols += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return cols;
}

// What erases a frame of `n` lines, the cursor at the end of its last: to the line's start,
// clear it, then up one and clear, for each line above.
std::string erase_of(std::size_t n) {
    std::string out = "\r\x1b[2K";
    for (std::size_t i = 1; i < n; ++i) out += "\x1b[1A\x1b[2K";
    return out;
}

}  // namespace

TEST_CASE("rotate status on a terminal: each frame erases the one before, line by line, and "
          "fits the width",
          "[rotation_status]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    RotationStatus blocked = rotation_status_of(capture_report(*dir, "rotation-blocked"));
    RotationStatus done = rotation_status_of(capture_report(*dir, "rotation-finished-after-rm"),
                                             blocked);
    RotationStatusTerminal terminal(TextColor::no, 100);
    std::string first = terminal.draw(blocked, Seconds(0));
    CHECK(first.rfind("rotation [", 0) == 0);  // nothing to erase yet
    std::vector<std::string> lines = lines_of(first);
    CHECK(lines[0].find("2/3 converged  elapsed 0s  blocked by 1 node") != std::string::npos);
    // The blocker under the bar, its reason wrapped (never cut) within 99 columns.
    REQUIRE(lines.size() >= 3);
    CHECK(lines[1].rfind("  \xe2\x86\xb3 " + std::string(kWorker2) + " (vm, worker): down since",
                         0) == 0);
    std::string reason;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        CHECK(columns(lines[i]) <= 99);
        if (i > 1) CHECK(lines[i].rfind("    ", 0) == 0);
        reason += (i > 1 ? " " + lines[i].substr(4) : lines[i]);
    }
    CHECK(reason == "  \xe2\x86\xb3 " + std::string(kWorker2) +
                        " (vm, worker): " + blocked.blockers[0].reason);
    std::string second = terminal.draw(blocked, Seconds(1));
    CHECK(second.rfind(erase_of(lines.size()) + "rotation [", 0) == 0);
    CHECK(second.find("elapsed 1s") != std::string::npos);
    std::string last = terminal.draw(done, Seconds(4));
    CHECK(last.rfind(erase_of(lines.size()) + "rotation [", 0) == 0);
    CHECK(last.find("2/2 converged  elapsed 4s  finished") != std::string::npos);
    CHECK(last.find("\n  trust root CN=swarm-ca") != std::string::npos);
    CHECK(terminal.finish() == "\n");
    CHECK(last.find("\x1b[0m") == std::string::npos);  // no colour unless asked
    // A frame of one line erases only its own.
    RotationStatusTerminal narrow(TextColor::no, 200);
    RotationStatus idle = rotation_status_of(capture_report(*dir, "healthy"));
    narrow.draw(idle, Seconds(0));
    CHECK(lines_of(narrow.draw(idle, Seconds(1))).size() == 2);  // none in progress + the root
    CHECK(narrow.draw(idle, Seconds(2)).rfind(erase_of(2) + "rotation: none in progress", 0) == 0);

    RotationStatusTerminal coloured(TextColor::yes, 60);
    std::string painted = coloured.draw(blocked, Seconds(0));
    CHECK(painted.find("\x1b[1;31m") != std::string::npos);
}
