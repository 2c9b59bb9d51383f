// evaluate_certificate and thresholds: SPEC §5 statuses on the engine's own certificates.
#include "support.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/expiry.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;

namespace {

std::vector<Certificate> fixture_file(const std::string& scenario, const std::string& node,
                                      const std::string& file) {
    return load_certificate_file(
        (*fixtures_dir() / scenario / "certificates" / node / file).string());
}

// The instant `fraction` of the way through the certificate's lifetime.
Instant at_fraction(const Certificate& cert, double fraction) {
    return cert.not_before() + Seconds(static_cast<std::int64_t>(
                                   static_cast<double>(cert.lifetime().count()) * fraction));
}

CertExpiry evaluate(const Certificate& cert, CertKind kind, Instant at,
                    std::optional<Seconds> cert_expiry = std::nullopt) {
    ExpiryOptions options;
    options.at = at;
    options.cert_expiry = cert_expiry;
    return evaluate_certificate(cert, kind, options);
}

}  // namespace

TEST_CASE("parse_threshold takes a duration or a percentage of lifetime", "[expiry]") {
    auto days = parse_threshold("30d");
    REQUIRE(days);
    CHECK(days->unit == Threshold::Unit::seconds);
    CHECK(days->before_not_after(Seconds(1000)) == Seconds(30 * 86400));
    auto percent = parse_threshold("10%");
    REQUIRE(percent);
    CHECK(percent->before_not_after(Seconds(7779600)) == Seconds(777960));
    CHECK(parse_threshold("2160h0m0s"));
    CHECK_FALSE(parse_threshold("0%"));
    CHECK_FALSE(parse_threshold("101%"));
    CHECK_FALSE(parse_threshold("ten%"));
    CHECK_FALSE(parse_threshold("%"));
    CHECK_FALSE(parse_threshold("soon"));
    CHECK_FALSE(parse_threshold(""));
}

TEST_CASE("a node certificate's status through its lifetime", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    Certificate leaf = fixture_file("worker", "worker1", "swarm-node.crt").at(0);
    REQUIRE(leaf.lifetime() == Seconds(7779600));  // 2160h + the 1h backdate

    struct Case {
        Instant at;
        ExpiryStatus status;
        Severity severity;
    };
    const Case cases[] = {
        {leaf.not_before() - Seconds(60), ExpiryStatus::not_yet_valid, Severity::critical},
        {at_fraction(leaf, 0.30), ExpiryStatus::ok, Severity::ok},
        {at_fraction(leaf, 0.60), ExpiryStatus::renewal_window, Severity::ok},
        {at_fraction(leaf, 0.85), ExpiryStatus::renewal_overdue, Severity::warning},
        {at_fraction(leaf, 0.95), ExpiryStatus::expiring, Severity::critical},
        {leaf.not_after() + Seconds(1), ExpiryStatus::expired, Severity::critical},
    };
    for (const Case& c : cases) {
        CertExpiry e = evaluate(leaf, CertKind::node, c.at);
        INFO("at " << format_rfc3339(c.at));
        CHECK(e.status == c.status);
        CHECK(e.severity == c.severity);
        CHECK(e.remaining == leaf.not_after() - c.at);
    }
    CertExpiry e = evaluate(leaf, CertKind::node, at_fraction(leaf, 0.3));
    REQUIRE(e.renewal_window);
    CHECK(e.renewal_window->start == leaf.not_before() + Seconds(7779600 / 2));
    CHECK(e.renewal_window->end == leaf.not_before() + Seconds(7779600 * 8 / 10));
    CHECK(e.lifetime_mismatch == std::nullopt);  // no --cert-expiry: not compared
    // The edges: exactly NotAfter is still valid; 80% is overdue, just before it is not.
    CHECK(evaluate(leaf, CertKind::node, leaf.not_after()).status == ExpiryStatus::expiring);
    CHECK(evaluate(leaf, CertKind::node, e.renewal_window->end).status ==
          ExpiryStatus::renewal_overdue);
    CHECK(evaluate(leaf, CertKind::node, e.renewal_window->end - Seconds(1)).status ==
          ExpiryStatus::renewal_window);
}

TEST_CASE("roots warn at 365 days and go critical at 30, with no renewal window",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    Certificate root = fixture_file("worker", "manager1", "swarm-root-ca.crt").at(0);
    const Seconds day(86400);
    CertExpiry far = evaluate(root, CertKind::root, at_fraction(root, 0.9));
    CHECK(far.status == ExpiryStatus::ok);  // 2 years left; no renewal states for a root
    CHECK_FALSE(far.renewal_window);
    CHECK_FALSE(far.lifetime_mismatch);
    CertExpiry year = evaluate(root, CertKind::root, root.not_after() - 200 * day);
    CHECK(year.status == ExpiryStatus::expiring);
    CHECK(year.severity == Severity::warning);
    CertExpiry month = evaluate(root, CertKind::root, root.not_after() - 10 * day);
    CHECK(month.status == ExpiryStatus::expiring);
    CHECK(month.severity == Severity::critical);
}

TEST_CASE("--warn and --crit replace the defaults for every certificate", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    Certificate leaf = fixture_file("worker", "worker1", "swarm-node.crt").at(0);
    ExpiryOptions options;
    options.at = at_fraction(leaf, 0.6);  // 40% left
    options.warn = parse_threshold("50%");
    options.crit = parse_threshold("1d");
    CertExpiry e = evaluate_certificate(leaf, CertKind::node, options);
    CHECK(e.status == ExpiryStatus::expiring);
    CHECK(e.severity == Severity::warning);
    options.at = leaf.not_after() - Seconds(3600);
    CHECK(evaluate_certificate(leaf, CertKind::node, options).severity == Severity::critical);
}

TEST_CASE("lifetime_mismatch on the cert-expiry-1h fixture", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // `docker swarm update --cert-expiry 1h` then `ca --rotate`: every leaf was re-issued with
    // 1h (+1h backdate); the roots and the cross-signed intermediate are not node certificates.
    for (const char* node : {"manager1", "worker1", "manager2"}) {
        auto chain = fixture_file("cert-expiry-1h", node, "swarm-node.crt");
        REQUIRE(chain.size() == 2);
        const Certificate& leaf = chain[0];
        INFO(node);
        CHECK(leaf.lifetime() == Seconds(7200));
        Instant at = leaf.not_before() + Seconds(60);
        auto against_default = evaluate(leaf, CertKind::node, at, parse_duration("2160h"));
        CHECK(against_default.lifetime_mismatch == true);
        CHECK(against_default.severity == Severity::notice);
        CHECK(evaluate(leaf, CertKind::node, at, parse_duration("1h")).lifetime_mismatch == false);
        CHECK(evaluate(leaf, CertKind::node, at, parse_duration("60m0s")).lifetime_mismatch ==
              false);
        CHECK(evaluate(chain[1], CertKind::intermediate, at, parse_duration("2160h"))
                  .lifetime_mismatch == std::nullopt);
    }
    // And the other way round: a 2160h leaf against a 1h setting.
    Certificate old = fixture_file("worker", "worker1", "swarm-node.crt").at(0);
    CHECK(evaluate(old, CertKind::node, old.not_before(), parse_duration("1h")).lifetime_mismatch ==
          true);
    CHECK(
        evaluate(old, CertKind::node, old.not_before(), parse_duration("90d")).lifetime_mismatch ==
        false);
}
