// Webhook events: signatures (against the Standard Webhooks reference vector), the transition
// detector, and the three body shapes.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/webhook.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;
using nlohmann::json;

namespace {

SecretBytes secret_of(std::string_view text) {
    return SecretBytes(Bytes(text.begin(), text.end()));
}

Instant at(const char* text) { return *parse_rfc3339(text); }

CertificateState node_cert(std::string status, Severity severity, std::string serial = "0a") {
    CertificateState c;
    c.path = "/nodes/w1/swarm-node.crt";
    c.serial = std::move(serial);
    c.kind = "node";
    c.node_id = "w1id";
    c.role = "worker";
    c.cluster_id = "cl1";
    c.not_after = at("2027-02-26T22:54:00Z");
    c.remaining_seconds = 1000;
    c.status = std::move(status);
    c.severity = severity;
    return c;
}

DirectoryState dir_state(std::string rotation, std::string root) {
    DirectoryState d;
    d.dir = "/nodes/w1";
    d.node_id = "w1id";
    d.role = "worker";
    d.cluster_id = "cl1";
    d.rotation_state = std::move(rotation);
    d.root_sha256 = std::move(root);
    return d;
}

ScanState scan(std::vector<CertificateState> certs, std::vector<DirectoryState> dirs = {}) {
    ScanState s;
    s.at = at("2026-11-28T23:00:00Z");
    s.certificates = std::move(certs);
    s.directories = std::move(dirs);
    return s;
}

std::vector<std::string> types(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.emplace_back(to_string(e.type));
    return out;
}

}  // namespace

TEST_CASE("webhook_signature matches the Standard Webhooks reference vector", "[webhook]") {
    auto key = base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    REQUIRE(key);
    SecretBytes secret(std::move(*key));
    std::string body = R"({"test": 2432232314})";
    CHECK(webhook_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    CHECK(webhook_signature(secret_of("topsecret"), "id1", 1700000000, "{}") ==
          "v1,gCZP3KkmqaWgqp2G/o/5fJCi2yZAI5ph3vspKXxOcog=");
}

TEST_CASE("webhook_signature_valid accepts any listed v1 signature and nothing else", "[webhook]") {
    SecretBytes secret = secret_of("topsecret");
    std::string good = webhook_signature(secret, "id1", 1700000000, "{}");
    CHECK(webhook_signature_valid(secret, "id1", 1700000000, "{}", good));
    CHECK(webhook_signature_valid(secret, "id1", 1700000000, "{}", "v1,AAAA " + good));
    CHECK_FALSE(webhook_signature_valid(secret, "id1", 1700000001, "{}", good));
    CHECK_FALSE(webhook_signature_valid(secret, "id2", 1700000000, "{}", good));
    CHECK_FALSE(webhook_signature_valid(secret, "id1", 1700000000, "{ }", good));
    CHECK_FALSE(webhook_signature_valid(secret_of("other"), "id1", 1700000000, "{}", good));
    CHECK_FALSE(webhook_signature_valid(secret, "id1", 1700000000, "{}", "v2," + good.substr(3)));
    CHECK_FALSE(webhook_signature_valid(secret, "id1", 1700000000, "{}", ""));
}

TEST_CASE("load_webhook_secret strips trailing whitespace and refuses an empty file", "[webhook]") {
    test::TempDir dir;
    test::write_text(dir / "secret", "  s3cr3t value \n\r\n");
    SecretBytes secret = load_webhook_secret((dir / "secret").string());
    CHECK(std::string(secret.data(), secret.data() + secret.size()) == "  s3cr3t value");

    test::write_text(dir / "empty", " \n\t\n");
    try {
        load_webhook_secret((dir / "empty").string());
        FAIL("an empty secret was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find((dir / "empty").string() +
                                         ": the webhook secret file is empty") == 0);
    }
    CHECK_THROWS_AS(load_webhook_secret((dir / "missing").string()), Error);
}

TEST_CASE("parse_webhook_url splits scheme, authority and path", "[webhook]") {
    auto u = parse_webhook_url("https://hooks.example:8443/services/T0/B0/xyz?a=1");
    CHECK(u.https);
    CHECK(u.scheme_host_port == "https://hooks.example:8443");
    CHECK(u.path == "/services/T0/B0/xyz?a=1");
    auto bare = parse_webhook_url("http://127.0.0.1:9000");
    CHECK_FALSE(bare.https);
    CHECK(bare.path == "/");
    CHECK(parse_webhook_url("http://h?x=1").path == "/?x=1");
    CHECK_THROWS_AS(parse_webhook_url("ftp://h/x"), UsageError);
    CHECK_THROWS_AS(parse_webhook_url("https:///x"), UsageError);
    CHECK_THROWS_AS(parse_webhook_url("https://user:pw@h/x"), UsageError);
}

TEST_CASE("a refused webhook URL is named by its scheme only: the rest may hold a token",
          "[webhook]") {
    auto message = [](const char* url) {
        try {
            parse_webhook_url(url);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    std::string typo = message("htp://hooks.example?token=SECRET");
    CHECK(typo.find("it starts with 'htp://'") != std::string::npos);
    CHECK(typo.find("SECRET") == std::string::npos);
    CHECK(typo.find("hooks.example") == std::string::npos);
    std::string bare = message("hooks.example/services/SECRET");
    CHECK(bare.find("it has no scheme://") != std::string::npos);
    CHECK(bare.find("SECRET") == std::string::npos);
    CHECK(message("https://user:SECRET@h/x").find("SECRET") == std::string::npos);
}

TEST_CASE("detect_transitions on the first scan reports only problems", "[webhook]") {
    auto first = scan({node_cert("expired", Severity::critical),
                       [] {
                           auto c = node_cert("ok", Severity::ok, "0b");
                           c.path = "/nodes/m1/swarm-node.crt";
                           return c;
                       }()},
                      {dir_state("in-progress", "aa")});
    auto events = detect_transitions(nullptr, first, "swarmpki://t/serve");
    CHECK(types(events) ==
          std::vector<std::string>{"io.swarmpki.cert.expired", "io.swarmpki.rotation.started"});
    const Event& expired = events[0];
    CHECK(expired.subject == "/nodes/w1/swarm-node.crt");
    CHECK(expired.severity == Severity::critical);
    CHECK(expired.data.node_id == "w1id");
    CHECK(expired.data.serial == "0a");
    CHECK(expired.summary == "worker w1id's certificate expired at 2027-02-26T22:54:00Z");
    CHECK(expired.id.rfind("msg_", 0) == 0);
    CHECK(expired.id.size() == 36);
    CHECK(events[1].id != expired.id);
}

TEST_CASE("detect_transitions follows status changes, renewals and rotations", "[webhook]") {
    auto before = scan({node_cert("ok", Severity::ok)}, {dir_state("none", "aa")});
    SECTION("no change, no event") { CHECK(detect_transitions(&before, before, "s").empty()); }
    SECTION("ok to renewal-window is normal") {
        auto after = scan({node_cert("renewal-window", Severity::ok)}, {dir_state("none", "aa")});
        CHECK(detect_transitions(&before, after, "s").empty());
    }
    SECTION("renewal-overdue, then expiring warning, then critical") {
        auto overdue = scan({node_cert("renewal-overdue", Severity::warning)});
        auto warning = scan({node_cert("expiring", Severity::warning)});
        auto critical = scan({node_cert("expiring", Severity::critical)});
        CHECK(types(detect_transitions(&before, overdue, "s")) ==
              std::vector<std::string>{"io.swarmpki.cert.renewal_overdue"});
        CHECK(types(detect_transitions(&overdue, warning, "s")) ==
              std::vector<std::string>{"io.swarmpki.cert.expiring"});
        auto escalated = detect_transitions(&warning, critical, "s");
        REQUIRE(escalated.size() == 1);
        CHECK(escalated[0].severity == Severity::critical);
        CHECK(escalated[0].data.previous_severity == Severity::warning);
    }
    SECTION("a renewal that clears a problem is cert.ok") {
        auto expiring = scan({node_cert("expiring", Severity::critical)});
        auto renewed = scan({node_cert("ok", Severity::ok, "0c")});
        auto events = detect_transitions(&expiring, renewed, "s");
        REQUIRE(types(events) == std::vector<std::string>{"io.swarmpki.cert.ok"});
        CHECK(events[0].data.previous_status == "expiring");
        CHECK(events[0].data.serial == "0c");
    }
    SECTION("not-yet-valid") {
        auto early = scan({node_cert("not-yet-valid", Severity::critical)});
        CHECK(types(detect_transitions(&before, early, "s")) ==
              std::vector<std::string>{"io.swarmpki.cert.not_yet_valid"});
    }
    SECTION("rotation started, completed, root changed") {
        auto rotating = scan({node_cert("ok", Severity::ok)}, {dir_state("in-progress", "aa")});
        auto done = scan({node_cert("ok", Severity::ok)}, {dir_state("completed", "bb")});
        CHECK(types(detect_transitions(&before, rotating, "s")) ==
              std::vector<std::string>{"io.swarmpki.rotation.started"});
        auto finished = detect_transitions(&rotating, done, "s");
        CHECK(types(finished) == std::vector<std::string>{"io.swarmpki.rotation.completed",
                                                          "io.swarmpki.root.changed"});
        CHECK(finished[1].data.previous_root_sha256 == "aa");
        CHECK(finished[1].data.root_sha256 == "bb");
    }
    SECTION("a directory that becomes unreadable, and a failed scan") {
        auto broken = scan({}, {dir_state("", "")});
        broken.directories[0].error = "/nodes/w1/swarm-node.crt: permission denied";
        auto events = detect_transitions(&before, broken, "s");
        REQUIRE(types(events) == std::vector<std::string>{"io.swarmpki.scan.failed"});
        CHECK(events[0].data.error == "/nodes/w1/swarm-node.crt: permission denied");
        CHECK(detect_transitions(&broken, broken, "s").empty());

        ScanState failed = scan({});
        failed.failure = "out of memory";
        CHECK(types(detect_transitions(&before, failed, "s")) ==
              std::vector<std::string>{"io.swarmpki.scan.failed"});
        CHECK(detect_transitions(&failed, failed, "s").empty());
    }
}

TEST_CASE("render_event_body: native is the CloudEvents-like document", "[webhook]") {
    Event e = sample_event("swarmpki://host/serve", at("2026-11-28T23:00:00Z"));
    auto doc = json::parse(render_event_body(e, WebhookFormat::native));
    CHECK(doc["specversion"] == "1.0");
    CHECK(doc["id"] == e.id);
    CHECK(doc["type"] == "io.swarmpki.cert.expiring");
    CHECK(doc["source"] == "swarmpki://host/serve");
    CHECK(doc["subject"] == e.subject);
    CHECK(doc["time"] == "2026-11-28T23:00:00Z");
    CHECK(doc["severity"] == "warning");
    CHECK(doc["summary"] == e.summary);
    for (const char* member :
         {"node_id", "role", "cluster_id", "serial", "not_after", "remaining_seconds"})
        CHECK(doc["data"].contains(member));
    CHECK(doc["data"]["not_after"] == "2026-12-05T23:00:00Z");
    CHECK(doc["data"]["remaining_seconds"] == 604800);
}

TEST_CASE("render_event_body: slack and alertmanager shapes", "[webhook]") {
    Event e = sample_event("swarmpki://host/serve", at("2026-11-28T23:00:00Z"));
    auto slack = json::parse(render_event_body(e, WebhookFormat::slack));
    CHECK(slack["text"] == "[warning] " + e.summary);
    CHECK(slack["attachments"][0]["color"] == "warning");
    CHECK(slack["attachments"][0]["title"] == "io.swarmpki.cert.expiring");

    auto alerts = json::parse(render_event_body(e, WebhookFormat::alertmanager));
    REQUIRE(alerts.is_array());
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["labels"]["alertname"] == "SwarmpkiCertificate");
    CHECK(alerts[0]["labels"]["severity"] == "warning");
    CHECK(alerts[0]["labels"]["path"] == e.subject);
    CHECK(alerts[0]["startsAt"] == "2026-11-28T23:00:00Z");
    CHECK_FALSE(alerts[0].contains("endsAt"));

    // Back to ok resolves the alert raised under the previous severity's label set.
    Event ok = e;
    ok.type = EventType::cert_ok;
    ok.severity = Severity::ok;
    ok.data.previous_severity = Severity::warning;
    auto resolved = json::parse(render_event_body(ok, WebhookFormat::alertmanager));
    CHECK(resolved[0]["labels"] == alerts[0]["labels"]);
    CHECK(resolved[0]["endsAt"] == "2026-11-28T23:00:00Z");
}

TEST_CASE("logfmt_value quotes only when needed and keeps one line", "[webhook]") {
    CHECK(logfmt_value("GET") == "GET");
    CHECK(logfmt_value("/v1/inspect") == "/v1/inspect");
    CHECK(logfmt_value("") == "\"\"");
    CHECK(logfmt_value("a b") == "\"a b\"");
    CHECK(logfmt_value("x=\"y\"\n") == "\"x=\\\"y\\\" \"");
}

TEST_CASE("render_event_body: slack escapes & < > so a certificate name cannot ping or link",
          "[webhook]") {
    // A node certificate anyone could drop into a scanned directory, with a hostile CN.
    const std::string cn = "<!channel> <https://evil|Renew now>";
    auto hostile = node_cert("expired", Severity::critical);
    hostile.node_id = cn;
    hostile.path = "/nodes/<!here>&co/swarm-node.crt";
    auto events = detect_transitions(nullptr, scan({hostile}), "swarmpki://h<o>st/serve");
    REQUIRE(events.size() == 1);
    std::string body = render_event_body(events[0], WebhookFormat::slack);
    auto slack = json::parse(body);
    // No string Slack displays keeps a '<' or '>': nothing is read as a control sequence.
    std::vector<std::string> texts;
    std::function<void(const json&)> collect = [&](const json& value) {
        if (value.is_string()) texts.push_back(value.get<std::string>());
        if (value.is_structured())
            for (const auto& member : value) collect(member);
    };
    collect(slack);
    REQUIRE(texts.size() >= 8);
    for (const auto& text : texts) {
        INFO(text);
        CHECK(text.find('<') == std::string::npos);
        CHECK(text.find('>') == std::string::npos);
    }
    CHECK(slack["text"] == "[critical] worker &lt;!channel&gt; &lt;https://evil|Renew now&gt;'s "
                           "certificate expired at 2027-02-26T22:54:00Z");
    const auto& attachment = slack["attachments"][0];
    CHECK(attachment["text"] == "/nodes/&lt;!here&gt;&amp;co/swarm-node.crt");
    CHECK(attachment["footer"].get<std::string>().rfind("swarmpki://h&lt;o&gt;st/serve msg_", 0) ==
          0);
    CHECK(attachment["fields"][0]["title"] == "node");
    CHECK(attachment["fields"][0]["value"] == "&lt;!channel&gt; &lt;https://evil|Renew now&gt;");

    // The other shapes are JSON for programs, not Slack markup: the name stays as it is.
    auto native = json::parse(render_event_body(events[0], WebhookFormat::native));
    CHECK(native["data"]["node_id"] == cn);
    auto alerts = json::parse(render_event_body(events[0], WebhookFormat::alertmanager));
    CHECK(alerts[0]["labels"]["node_id"] == cn);
}

TEST_CASE("parse_webhook_url names the host and tells a secret-bearing path", "[webhook]") {
    auto slack = parse_webhook_url("https://hooks.slack.com/services/T0/B0/xyz");
    CHECK(slack.host == "hooks.slack.com");
    CHECK(slack.has_path_or_query());
    CHECK(parse_webhook_url("http://127.0.0.1:9000").host == "127.0.0.1");
    CHECK_FALSE(parse_webhook_url("http://127.0.0.1:9000").has_path_or_query());
    CHECK_FALSE(parse_webhook_url("http://127.0.0.1:9000/").has_path_or_query());
    CHECK(parse_webhook_url("http://h?token=x").has_path_or_query());
    auto v6 = parse_webhook_url("http://[::1]:9000/hook");
    CHECK(v6.host == "::1");
    CHECK(v6.scheme_host_port == "http://[::1]:9000");
}

TEST_CASE("parse_webhook_url refuses spaces and control characters without echoing the URL",
          "[webhook]") {
    for (const char* url :
         {"http://h/a b", "http://h/SECRET\r\nX-Injected: 1", "http://h/\tSECRET"}) {
        try {
            parse_webhook_url(url);
            FAIL("accepted a URL with a space or control character");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()) ==
                  "--webhook URL contains a space or a control character (percent-encode it)");
        }
    }
}

TEST_CASE("load_webhook_urls reads one URL a line, skipping blanks and comments", "[webhook]") {
    test::TempDir dir;
    auto file = (dir / "urls").string();
    test::write_text(dir / "urls",
                     "# receivers\n\nhttps://hooks.example/services/SECRET\r\n"
                     "   http://127.0.0.1:9093/api/v2/alerts  \n#http://old.example/\n");
    CHECK(load_webhook_urls(file) ==
          std::vector<std::string>{"https://hooks.example/services/SECRET",
                                   "http://127.0.0.1:9093/api/v2/alerts"});
    test::write_text(dir / "one", "https://hooks.example/x");  // no final newline
    CHECK(load_webhook_urls((dir / "one").string()) ==
          std::vector<std::string>{"https://hooks.example/x"});
}

TEST_CASE("load_webhook_urls: a bad line is named by number and scheme, never its text",
          "[webhook]") {
    test::TempDir dir;
    auto message = [&](const std::string& content) {
        test::write_text(dir / "urls", content);
        try {
            load_webhook_urls((dir / "urls").string());
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    std::string path = (dir / "urls").string();
    std::string typo = message("https://ok.example/a\n\nhtp://hooks.example/services/SECRET\n");
    CHECK(typo.rfind(path + ":3: the webhook URL is not an http:// or https:// URL (it starts "
                            "with 'htp://')",
                     0) == 0);
    CHECK(typo.find("SECRET") == std::string::npos);
    CHECK(typo.find("hooks.example") == std::string::npos);
    std::string space = message("https://hooks.example/SECRET tail\n");
    CHECK(space.rfind(path + ":1: the webhook URL contains a space", 0) == 0);
    CHECK(space.find("SECRET") == std::string::npos);
    CHECK(message("# nothing\n\n").rfind(path + ": no webhook URL in it", 0) == 0);
    std::string big = message(std::string(kWebhookUrlFileLimit + 1, '#'));
    CHECK(big.rfind(path + ": file is " + std::to_string(kWebhookUrlFileLimit + 1) + " bytes", 0) ==
          0);
    CHECK(big.find("--webhook-url-file") != std::string::npos);
}
