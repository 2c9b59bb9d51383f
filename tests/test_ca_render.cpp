// pki/render/ca_render.cpp: the exact bytes of what `ca init|issue|cross-sign` print.
#include "swarmpki/ca_render.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;

namespace {

CaResult issued() {
    CaResult r;
    r.action = "issue";
    r.certificate = {"CN=n1,OU=swarm-worker,O=c1",
                     "CN=swarm-ca",
                     "1f",
                     *parse_rfc3339("2026-05-31T23:00:00Z"),
                     *parse_rfc3339("2026-08-30T00:00:00Z"),
                     std::string(64, 'e'),
                     "ecdsa-p256",
                     "ecdsa-with-SHA256"};
    r.files = {"n/swarm-root-ca.crt", "n/swarm-node.crt", "n/swarm-node.key"};
    return r;
}

}  // namespace

TEST_CASE("render_ca_text: the certificate made and every file written", "[render][ca]") {
    CHECK(
        render_ca_text(issued()) ==
        "issue: CN=n1,OU=swarm-worker,O=c1 (issuer CN=swarm-ca, serial 1f)\n"
        "  valid 2026-05-31T23:00:00Z to 2026-08-30T00:00:00Z\n"
        "  key ecdsa-p256, sha256 " +
            std::string(64, 'e') +
            "\n  wrote n/swarm-root-ca.crt\n  wrote n/swarm-node.crt\n  wrote n/swarm-node.key\n");
}

TEST_CASE("render_ca_json: swarmpki.ca/v1, no key material", "[render][ca]") {
    CHECK(render_ca_json(issued()) ==
          "{\n  \"schema\": \"swarmpki.ca/v1\",\n  \"action\": \"issue\",\n  \"certificate\": {\n"
          "    \"subject\": \"CN=n1,OU=swarm-worker,O=c1\",\n    \"issuer\": \"CN=swarm-ca\",\n"
          "    \"serial\": \"1f\",\n    \"not_before\": \"2026-05-31T23:00:00Z\",\n"
          "    \"not_after\": \"2026-08-30T00:00:00Z\",\n    \"public_key_sha256\": \"" +
              std::string(64, 'e') +
              "\",\n    \"key_type\": \"ecdsa-p256\",\n"
              "    \"signature_algorithm\": \"ecdsa-with-SHA256\"\n  },\n  \"files\": [\n"
              "    \"n/swarm-root-ca.crt\",\n    \"n/swarm-node.crt\",\n    \"n/swarm-node.key\"\n"
              "  ]\n}\n");
}
