// One expiry policy (judge_expiry in pki/expiry.cpp): `inspect` and `expiry` of the same
// directory at the same instant give the same severity and exit code. Before, a node
// certificate with 5% of its lifetime left was WARNING (renewal-overdue) in inspect and CRITICAL
// (expiring) in expiry, and a root 10 days from NotAfter likewise.
#include "support.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/serve.hpp"
#include "swarmpki/time.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;

namespace {

bool has_finding(const nlohmann::json& inspect, const std::string& code,
                 const std::string& severity) {
    for (const auto& f : inspect["nodes"][0]["findings"])
        if (f["code"] == code && f["severity"] == severity) return true;
    return false;
}

struct Verdicts {
    int inspect_exit, expiry_exit;
    nlohmann::json inspect;
};

Verdicts both(const std::string& dir, const std::string& at) {
    auto inspect = run_swarmpki({"inspect", "--dir", dir, "--format", "json", "--at", at});
    auto expiry = run_swarmpki({"expiry", dir, "--format", "json", "--at", at});
    INFO(inspect.out << expiry.out);
    return {inspect.exit_code, expiry.exit_code, inspect.json()};
}

}  // namespace

TEST_CASE("judge_expiry: node and root thresholds", "[expiry]") {
    Instant nb = *parse_rfc3339("2026-01-01T00:00:00Z");
    Instant na = nb + Seconds(100 * 86400);
    ExpiryOptions at;
    auto verdict = [&](CertKind kind, Instant when) {
        at.at = when;
        return judge_expiry(kind, nb, na, at);
    };
    CHECK(verdict(CertKind::node, nb + Seconds(95 * 86400)).severity == Severity::critical);
    CHECK(verdict(CertKind::node, nb + Seconds(85 * 86400)).status ==
          ExpiryStatus::renewal_overdue);
    CHECK(verdict(CertKind::node, nb + Seconds(60 * 86400)).status == ExpiryStatus::renewal_window);
    CHECK(verdict(CertKind::root, nb + Seconds(80 * 86400)).severity == Severity::critical);
    CHECK(verdict(CertKind::root, nb + Seconds(10 * 86400)).severity == Severity::warning);
    CHECK(verdict(CertKind::root, na + Seconds(1)).status == ExpiryStatus::expired);
}

TEST_CASE("inspect and expiry agree on a node certificate near NotAfter",
          "[cli][expiry][inspect][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    test::TempDir tmp;
    std::string dir = test::copy_node_dir("worker", "worker1", tmp.path()).string();
    // worker1's leaf: NotBefore 2026-11-28T21:54:00Z, lifetime 2161h (7,779,600 s).
    Instant nb = *parse_rfc3339("2026-11-28T21:54:00Z");
    auto at = [&](double fraction) {
        return format_rfc3339(nb + Seconds(static_cast<std::int64_t>(7779600 * fraction)));
    };
    Verdicts near_end = both(dir, at(0.95));
    CHECK(near_end.inspect_exit == 2);
    CHECK(near_end.expiry_exit == 2);
    CHECK(has_finding(near_end.inspect, "certificate-expiring", "critical"));
    Verdicts overdue = both(dir, at(0.85));
    CHECK(overdue.inspect_exit == 1);
    CHECK(overdue.expiry_exit == 1);
    CHECK(has_finding(overdue.inspect, "renewal-overdue", "warning"));
    Verdicts window = both(dir, at(0.6));
    CHECK(window.inspect_exit == 0);
    CHECK(window.expiry_exit == 0);
}

TEST_CASE("inspect and expiry agree on a root near NotAfter", "[cli][expiry][inspect]") {
    test::TempDir tmp;
    std::string ca = (tmp / "ca").string();
    REQUIRE(run_swarmpki({"ca", "init", "--out", ca, "--at", "2026-01-01T00:00:00Z"}).exit_code ==
            0);
    // The root's NotAfter, read back through inspect of a node issued early in its life.
    std::string probe = (tmp / "probe").string();
    REQUIRE(run_swarmpki({"ca", "issue", "--ca", ca, "--role", "worker", "--out", probe, "--at",
                          "2026-01-02T00:00:00Z"})
                .exit_code == 0);
    auto probe_doc = run_swarmpki({"inspect", "--dir", probe, "--format", "json", "--at",
                                   "2026-01-03T00:00:00Z"})
                         .json();
    Instant root_end = *parse_rfc3339(
        probe_doc["nodes"][0]["trust_roots"][0]["not_after"].get<std::string>());
    struct Case {
        std::int64_t days_before;
        int exit;
        const char* severity;
    };
    for (Case c : {Case{10, 2, "critical"}, Case{100, 1, "warning"}}) {
        INFO(c.days_before << " days before the root's NotAfter");
        std::string node = (tmp / ("n" + std::to_string(c.days_before))).string();
        Instant issued = root_end - Seconds((c.days_before + 5) * 86400);
        REQUIRE(run_swarmpki({"ca", "issue", "--ca", ca, "--role", "worker", "--cert-expiry",
                              "720h", "--out", node, "--at", format_rfc3339(issued)})
                    .exit_code == 0);
        Verdicts v = both(node, format_rfc3339(root_end - Seconds(c.days_before * 86400)));
        CHECK(v.inspect_exit == c.exit);
        CHECK(v.expiry_exit == c.exit);
        CHECK(has_finding(v.inspect, "root-expiring", c.severity));
    }
}

TEST_CASE("one expiry answer from inspect, every expiry format and serve, at one instant",
          "[cli][expiry][inspect][serve][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    test::TempDir tmp;
    std::string dir = test::copy_node_dir("worker", "worker1", tmp.path()).string();
    Instant nb = *parse_rfc3339("2026-11-28T21:54:00Z");  // lifetime 2161h = 7,779,600 s
    struct Case {
        double fraction;
        int exit;
        const char* nagios;
        const char* status;
    };
    for (Case c :
         {Case{0.95, 2, "SWARMPKI CRITICAL", "expiring"},
          Case{0.85, 1, "SWARMPKI WARNING", "renewal-overdue"},
          Case{0.6, 0, "SWARMPKI OK", "renewal-window"}, Case{0.3, 0, "SWARMPKI OK", "ok"}}) {
        Instant when = nb + Seconds(static_cast<std::int64_t>(7779600 * c.fraction));
        std::string at = format_rfc3339(when);
        INFO(at);
        CHECK(run_swarmpki({"inspect", "--dir", dir, "--at", at}).exit_code == c.exit);
        for (const char* format : {"text", "json", "jsonl", "prometheus", "nagios"})
            CHECK(run_swarmpki({"expiry", dir, "--format", format, "--at", at}).exit_code ==
                  c.exit);
        auto json = run_swarmpki({"expiry", dir, "--format", "json", "--at", at}).json();
        CHECK(json["certificates"][0]["status"] == c.status);
        auto prom = run_swarmpki({"expiry", dir, "--format", "prometheus", "--at", at});
        CHECK(prom.out.find("\nswarmpki_status " + std::to_string(c.exit) + "\n") !=
              std::string::npos);
        auto nagios = run_swarmpki({"expiry", dir, "--format", "nagios", "--at", at});
        CHECK(nagios.out.rfind(c.nagios, 0) == 0);
        ScanSettings settings;
        settings.dirs = {dir};
        Snapshot snapshot = scan_directories(settings, when);
        CHECK(static_cast<int>(exit_code_for(snapshot.status)) == c.exit);
        auto served = nlohmann::json::parse(snapshot.inspect_json);
        CHECK(served["status"] == std::string(report_status(c.exit == 2   ? Severity::critical
                                                            : c.exit == 1 ? Severity::warning
                                                                          : Severity::ok)));
    }
}

TEST_CASE("the renewal window is NotBefore + 50% and + 80%, the same in inspect and expiry",
          "[cli][expiry][inspect][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    test::TempDir tmp;
    std::string dir = test::copy_node_dir("worker", "worker1", tmp.path()).string();
    const char* at = "2026-12-01T00:00:00Z";
    auto inspect = run_swarmpki({"inspect", "--dir", dir, "--format", "json", "--at", at}).json();
    auto expiry = run_swarmpki({"expiry", dir, "--format", "json", "--at", at}).json();
    // worker1: NotBefore 2026-11-28T21:54:00Z, NotAfter 2027-02-26T22:54:00Z (90 d + 1 h backdate).
    for (const auto& window : {inspect["nodes"][0]["node"]["renewal_window"],
                               expiry["certificates"][0]["renewal_window"]}) {
        CHECK(window["start"] == "2027-01-12T22:24:00Z");
        CHECK(window["end"] == "2027-02-08T22:42:00Z");
    }
    Instant nb = *parse_rfc3339("2026-11-28T21:54:00Z"),
            na = *parse_rfc3339("2027-02-26T22:54:00Z");
    RenewalWindow w = renewal_window(nb, na);
    CHECK(format_rfc3339(w.start) == "2027-01-12T22:24:00Z");
    CHECK(format_rfc3339(w.end) == "2027-02-08T22:42:00Z");
    // The status turns at the window's edges, to the second.
    auto status_at = [&](Instant when) {
        ExpiryOptions options;
        options.at = when;
        return judge_expiry(CertKind::node, nb, na, options).status;
    };
    CHECK(status_at(w.start - Seconds(1)) == ExpiryStatus::ok);
    CHECK(status_at(w.start) == ExpiryStatus::renewal_window);
    CHECK(status_at(w.end - Seconds(1)) == ExpiryStatus::renewal_window);
    CHECK(status_at(w.end) == ExpiryStatus::renewal_overdue);
    CHECK(kNodeCertBackdate == Seconds(3600));
}
