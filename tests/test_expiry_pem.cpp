// The scan's PEM fast path (decode_plain_certificates) against parse_pem: on every fixture file
// and on variants around the edges of what it takes, it either agrees with parse_pem exactly or
// steps aside (returns false), and it never accepts what parse_pem refuses.
#include "expiry_cert_facts.hpp"
#include "support.hpp"
#include "swarmpki/pem.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace swarmpki;
using swarmpki::expiry_detail::CertificateBlock;
using swarmpki::expiry_detail::decode_plain_certificates;
using swarmpki::test::fixtures_dir;
namespace fs = std::filesystem;

namespace {

// Whether the fast path took `text`; when it did, its blocks must be parse_pem's.
bool fast_path_agrees(const std::string& text) {
    std::vector<CertificateBlock> fast;
    bool taken = decode_plain_certificates(text, fast);
    PemParseResult slow = parse_pem(text);
    if (!taken) return false;
    REQUIRE(slow.bundle);
    REQUIRE(slow.bundle->blocks.size() == fast.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
        CHECK(slow.bundle->blocks[i].type == "CERTIFICATE");
        CHECK(slow.bundle->blocks[i].der == fast[i].der);
        CHECK(slow.bundle->blocks[i].line == fast[i].line);
    }
    return true;
}

std::string pem_of(const Bytes& der) { return encode_pem("CERTIFICATE", der); }

}  // namespace

TEST_CASE("the PEM fast path decodes every fixture certificate file as parse_pem does",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::size_t files = 0, taken = 0;
    for (const auto& entry : fs::recursive_directory_iterator(*fixtures_dir())) {
        if (!entry.is_regular_file() || entry.path().extension() != ".crt") continue;
        INFO(entry.path());
        ++files;
        taken += fast_path_agrees(test::read_text(entry.path())) ? 1 : 0;
    }
    CHECK(files >= 40);
    CHECK(taken == files);  // the engine writes plain LF PEM: all of them take the fast path
}

TEST_CASE("the PEM fast path steps aside for anything but plain certificate blocks", "[expiry]") {
    // Lengths 1..70 cover every padding case and lines of every length.
    for (std::size_t size = 1; size <= 70; ++size) {
        Bytes der(size);
        for (std::size_t i = 0; i < size; ++i) der[i] = static_cast<std::uint8_t>(i * 37 + size);
        std::string pem = pem_of(der);
        INFO(size);
        CHECK(fast_path_agrees(pem));
        CHECK(fast_path_agrees(pem + pem));  // a bundle; line numbers of the second block too
    }

    Bytes der(100, 0xab);
    std::string pem = pem_of(der);
    auto replace = [&](std::string text, const std::string& from, const std::string& to) {
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    std::string body_line = pem.substr(pem.find('\n') + 1, 64);

    // Things parse_pem accepts that the fast path leaves to it (and parse_pem's result stands).
    std::string crlf;
    for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const std::vector<std::pair<const char*, std::string>> left_to_parse_pem = {
        {"CRLF", crlf},
        {"a header", replace(pem, "-----\n", "-----\nkek-version: 1\n\n")},
        {"a blank line after the blocks", pem + "\n"},
        {"text before", "subject=CN=x\n" + pem},
        {"indented body", replace(pem, body_line, "  " + body_line)},
        {"a key block", pem + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
        {"no final LF", pem.substr(0, pem.size() - 1)},
        {"padding split across lines",
         "-----BEGIN CERTIFICATE-----\nqw=\n=\n-----END CERTIFICATE-----\n"},
    };
    for (const auto& [what, text] : left_to_parse_pem) {
        INFO(what);
        std::vector<CertificateBlock> blocks;
        bool taken = decode_plain_certificates(text, blocks);
        if (std::string(what) == "no final LF" ||
            std::string(what) == "padding split across lines") {
            CHECK(fast_path_agrees(text));  // still plain base64 lines: the same DER either way
            continue;
        }
        CHECK_FALSE(taken);
        CHECK(parse_pem(text).bundle);
    }

    // Things neither accepts: the fast path must refuse them too (parse_pem names the problem).
    const std::vector<std::pair<const char*, std::string>> refused = {
        {"bad character", replace(pem, body_line.substr(0, 4), "AA!A")},
        {"padding in the middle", replace(pem, body_line.substr(0, 4), "AA==")},
        {"three padding characters",
         "-----BEGIN CERTIFICATE-----\nq===\n-----END CERTIFICATE-----\n"},
        {"length not a multiple of four",
         "-----BEGIN CERTIFICATE-----\nqwe\n-----END CERTIFICATE-----\n"},
        {"one character left over",
         "-----BEGIN CERTIFICATE-----\nqwerq\n-----END CERTIFICATE-----\n"},
        {"empty body", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"},
        {"no END", pem.substr(0, pem.find("-----END"))},
        {"mismatched END", replace(pem, "END CERTIFICATE", "END X509 CRL")},
        {"BEGIN inside", replace(pem, body_line, "-----BEGIN CERTIFICATE-----")},
        {"NUL byte", replace(pem, body_line.substr(0, 4), std::string("AA\0A", 4))},
        {"nothing", ""},
    };
    for (const auto& [what, text] : refused) {
        INFO(what);
        std::vector<CertificateBlock> blocks;
        CHECK_FALSE(decode_plain_certificates(text, blocks));
        CHECK_FALSE(parse_pem(text).bundle);
    }
}
