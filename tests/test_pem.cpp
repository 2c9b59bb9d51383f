#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;

namespace {
// A tiny valid body: base64 of the bytes "hello world!" is not DER, but PEM does not care.
constexpr const char* kKeyWithHeaders = "-----BEGIN PRIVATE KEY-----\n"
                                        "kek-version: 18\n"
                                        "raft-dek: c2VjcmV0\n"
                                        "\n"
                                        "aGVsbG8gd29ybGQh\n"
                                        "-----END PRIVATE KEY-----\n";
}  // namespace

TEST_CASE("parse_pem reads RFC 1421 headers that OpenSSL's reader refuses", "[pem]") {
    auto parsed = parse_pem(kKeyWithHeaders);
    REQUIRE(parsed.bundle);
    REQUIRE(parsed.bundle->blocks.size() == 1);
    const PemBlock& block = parsed.bundle->blocks[0];
    CHECK(block.type == "PRIVATE KEY");
    CHECK(block.header_names() == std::vector<std::string>{"kek-version", "raft-dek"});
    CHECK(block.header("kek-version")->value == "18");
    CHECK(std::string(block.der.begin(), block.der.end()) == "hello world!");
    CHECK_FALSE(parsed.bundle->crlf);
    CHECK_FALSE(parsed.bundle->text_outside_blocks);
}

TEST_CASE("parse_pem accepts CRLF line endings and says so", "[pem]") {
    std::string crlf;
    for (char c : std::string(kKeyWithHeaders)) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    auto parsed = parse_pem(crlf);
    REQUIRE(parsed.bundle);
    CHECK(parsed.bundle->crlf);
    CHECK(parsed.bundle->blocks[0].header("kek-version")->value == "18");
}

TEST_CASE("parse_pem flags text outside blocks but keeps the blocks", "[pem]") {
    auto parsed = parse_pem(std::string("subject=CN=swarm-ca\n") + kKeyWithHeaders);
    REQUIRE(parsed.bundle);
    CHECK(parsed.bundle->text_outside_blocks);
}

TEST_CASE("parse_pem refuses malformed input with a reason", "[pem]") {
    SECTION("truncated") {
        auto parsed = parse_pem("-----BEGIN CERTIFICATE-----\naGVsbG8=\n");
        CHECK_FALSE(parsed.bundle);
        CHECK(parsed.problem.message.find("no END line") != std::string::npos);
    }
    SECTION("garbage base64") {
        auto parsed = parse_pem("-----BEGIN CERTIFICATE-----\n!!!*\n-----END CERTIFICATE-----\n");
        CHECK_FALSE(parsed.bundle);
        CHECK(parsed.problem.message.find("base64") != std::string::npos);
    }
    SECTION("binary DER") {
        std::string der("\x30\x82\x01\x0a\x02", 5);
        auto parsed = parse_pem(der);
        CHECK_FALSE(parsed.bundle);
        CHECK(parsed.problem.message.find("binary") != std::string::npos);
    }
    SECTION("empty") {
        auto parsed = parse_pem("");
        CHECK_FALSE(parsed.bundle);
        CHECK(parsed.problem.message == "no PEM block found");
    }
    SECTION("mismatched END") {
        auto parsed = parse_pem(
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END PRIVATE KEY-----\n");
        CHECK_FALSE(parsed.bundle);
        CHECK(parsed.problem.message.find("does not match") != std::string::npos);
    }
    SECTION("NUL byte inside a header") {
        std::string text = "-----BEGIN PRIVATE KEY-----\nkek-version: 1";
        text += '\0';
        text += "\n\naGVsbG8=\n-----END PRIVATE KEY-----\n";
        auto parsed = parse_pem(text);
        CHECK_FALSE(parsed.bundle);
    }
}

TEST_CASE("parse_pem_or_throw names the file and the line", "[pem]") {
    try {
        parse_pem_or_throw("-----BEGIN CERTIFICATE-----\n", "/x/swarm-node.crt");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).rfind("/x/swarm-node.crt: line 1: ", 0) == 0);
        CHECK(e.reason() == ReadFailure::bad_pem);
    }
}

TEST_CASE("encode_pem wraps at 64 columns and round-trips", "[pem]") {
    Bytes der(100, 0x41);
    std::string pem = encode_pem("CERTIFICATE", der);
    auto parsed = parse_pem(pem);
    REQUIRE(parsed.bundle);
    CHECK(parsed.bundle->blocks[0].der == der);
    CHECK(pem.find('\n', 28) == 28 + 64);
}
