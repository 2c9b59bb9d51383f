// render_prometheus: families with HELP/TYPE, absolute timestamps, escaped labels, extra gauges.
#include "swarmpki/prometheus.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;

namespace {

ExpiryReport sample_report() {
    ExpiryReport r;
    r.evaluated_at = *parse_rfc3339("2026-12-01T00:00:00Z");
    CertExpiry e;
    e.path = "/fleet/a \"quoted\"\\dir\nx/swarm-node.crt";
    e.kind = CertKind::node;
    e.node_id = "2i2jiz7b6wivuwtazt3d7zta8";
    e.role = "manager";
    e.cluster_id = "45dwjg326020dkgqtum4kdw4o";
    e.serial = "1f";
    e.issuer_cn = "swarm-ca";
    e.not_before = *parse_rfc3339("2026-11-28T21:54:00Z");
    e.not_after = *parse_rfc3339("2027-02-26T22:54:00Z");
    e.renewal_window = RenewalWindow{e.not_before, *parse_rfc3339("2027-02-09T02:54:00Z")};
    e.status = ExpiryStatus::ok;
    r.certificates.push_back(e);
    r.certificates.push_back(e);  // the same certificate twice in a bundle: one series
    for (ExpiryStatus s : kAllExpiryStatuses) r.summary.by_status[s] = 0;
    for (ScanReason reason : kAllScanReasons) r.summary.errors_by_reason[reason] = 0;
    r.summary.errors_by_reason[ScanReason::bad_pem] = 2;
    r.summary.clusters.push_back(
        {"45dwjg326020dkgqtum4kdw4o", {"aa", "bb"}, 3, true, Severity::warning, "x"});
    NodeDirectory d;
    d.path = "/fleet/a";
    d.node_cert_present = true;
    r.directories.push_back(d);
    return r;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("escape_label_value follows the exposition format", "[prometheus]") {
    CHECK(escape_label_value("plain") == "plain");
    CHECK(escape_label_value("a\\b") == "a\\\\b");
    CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
    CHECK(escape_label_value("two\nlines") == "two\\nlines");
    CHECK(escape_label_value("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(escape_label_value("bad\xff") == "bad\xef\xbf\xbd");
    CHECK(escape_label_value("cut\xc3") == "cut\xef\xbf\xbd");
}

TEST_CASE("render_prometheus writes every family once with absolute timestamps", "[prometheus]") {
    ExpiryReport r = sample_report();
    ExtraGauge up{"swarmpki_serve_up", "1 while serving.", {{"listen", "127.0.0.1:9323"}}, 1};
    std::string text = render_prometheus(r, std::span(&up, 1));
    for (const char* family :
         {"swarmpki_cert_not_after_timestamp_seconds", "swarmpki_cert_not_before_timestamp_seconds",
          "swarmpki_cert_renewal_window_end_timestamp_seconds", "swarmpki_cert_expired",
          "swarmpki_cert_status", "swarmpki_cert_severity", "swarmpki_rotation_in_progress",
          "swarmpki_scan_errors", "swarmpki_expected_file_present", "swarmpki_build_info",
          "swarmpki_serve_up"}) {
        INFO(family);
        CHECK(contains(text, std::string("# HELP ") + family + " "));
        CHECK(contains(text, std::string("# TYPE ") + family + " gauge\n"));
    }
    std::string labels =
        "{path=\"/fleet/a "
        "\\\"quoted\\\"\\\\dir\\nx/swarm-node.crt\",kind=\"node\",role=\"manager\","
        "node_id=\"2i2jiz7b6wivuwtazt3d7zta8\",cluster_id=\"45dwjg326020dkgqtum4kdw4o\","
        "serial=\"1f\",issuer_cn=\"swarm-ca\"}";
    CHECK(contains(text, "swarmpki_cert_not_after_timestamp_seconds" + labels + " 1803682440\n"));
    CHECK(contains(text, "swarmpki_cert_expired" + labels + " 0\n"));
    std::string status_ok = labels;
    status_ok.insert(status_ok.size() - 1, ",status=\"ok\"");
    CHECK(contains(text, "swarmpki_cert_status" + status_ok + " 1\n"));
    CHECK(contains(text, "swarmpki_cert_severity" + labels + " 0\n"));
    // Duplicates dropped: the repeated certificate gives one NotAfter series.
    std::size_t first = text.find("swarmpki_cert_not_after_timestamp_seconds{");
    CHECK(text.find("swarmpki_cert_not_after_timestamp_seconds{", first + 1) == std::string::npos);
    CHECK(contains(text, "swarmpki_scan_errors{reason=\"bad_pem\"} 2\n"));
    CHECK(contains(text, "swarmpki_scan_errors{reason=\"permission_denied\"} 0\n"));
    CHECK(contains(text,
                   "swarmpki_rotation_in_progress{cluster_id=\"45dwjg326020dkgqtum4kdw4o\"} 1\n"));
    CHECK(contains(
        text, "swarmpki_expected_file_present{path=\"/fleet/a\",file=\"swarm-root-ca.crt\"} 0\n"));
    CHECK(contains(text, "swarmpki_serve_up{listen=\"127.0.0.1:9323\"} 1\n"));
    CHECK_FALSE(contains(text, "swarmpki_cert_lifetime_mismatch"));  // no --cert-expiry
}
