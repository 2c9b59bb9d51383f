// Standard Webhooks signatures: HMAC-SHA256 over "id.timestamp.body", base64, prefixed "v1,".
//
// The secret is used as raw bytes (the file's content without trailing whitespace); receivers
// configured with the same file verify with any Standard Webhooks library that is given the raw
// key. The HMAC runs through OpenSSL's EVP_MAC; comparison is constant-time.
#include "../crypto/ossl.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/webhook.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cctype>

namespace swarmpki {

namespace {
constexpr std::size_t kWebhookSecretReadLimit = 64 * 1024;
}  // namespace

SecretBytes load_webhook_secret(const std::string& path) {
    // read_secret_file: capped, FIFOs accepted, one buffer wiped; its mode warning is given by
    // the command (webhook_options.cpp), which knows where warnings go.
    SecretFile file = read_secret_file(path, kWebhookSecretReadLimit);
    const std::uint8_t* text = file.bytes.data();
    std::size_t end = file.bytes.size();
    while (end > 0 && std::isspace(text[end - 1])) --end;
    Bytes bytes(text, text + end);
    if (bytes.empty())
        throw Error(path, "the webhook secret file is empty",
                    "write a random secret into it, e.g. `openssl rand -base64 32 > " + path + "`");
    return SecretBytes(std::move(bytes));
}

namespace {

Bytes hmac_sha256(const SecretBytes& key, std::string_view message) {
    ossl::UniquePtr<EVP_MAC> mac(
        ossl::check(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr), "fetching HMAC"));
    ossl::UniquePtr<EVP_MAC_CTX> ctx(
        ossl::check(EVP_MAC_CTX_new(mac.get()), "creating an HMAC context"));
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    ossl::check(EVP_MAC_init(ctx.get(), key.data(), key.size(), params),
                "initialising HMAC-SHA256");
    ossl::check(EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                               message.size()),
                "computing HMAC-SHA256");
    Bytes out(EVP_MAX_MD_SIZE);
    std::size_t length = 0;
    ossl::check(EVP_MAC_final(ctx.get(), out.data(), &length, out.size()), "finishing HMAC-SHA256");
    out.resize(length);
    return out;
}

std::string signed_content(std::string_view id, std::int64_t timestamp, std::string_view body) {
    std::string content;
    content.reserve(id.size() + body.size() + 24);
    content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    return content;
}

}  // namespace

std::string webhook_signature(const SecretBytes& secret, std::string_view id,
                              std::int64_t timestamp, std::string_view body) {
    return "v1," + base64_encode(hmac_sha256(secret, signed_content(id, timestamp, body)));
}

bool webhook_signature_valid(const SecretBytes& secret, std::string_view id, std::int64_t timestamp,
                             std::string_view body, std::string_view header_value) {
    Bytes expected = hmac_sha256(secret, signed_content(id, timestamp, body));
    bool valid = false;
    std::size_t start = 0;
    while (start < header_value.size()) {
        std::size_t space = header_value.find(' ', start);
        std::string_view one = header_value.substr(start, space == std::string_view::npos
                                                              ? std::string_view::npos
                                                              : space - start);
        start = space == std::string_view::npos ? header_value.size() : space + 1;
        if (one.substr(0, 3) != "v1,") continue;
        auto decoded = base64_decode(one.substr(3), Padding::required);
        if (decoded && decoded->size() == expected.size() &&
            constant_time_equal(decoded->data(), expected.data(), expected.size()))
            valid = true;
    }
    return valid;
}

}  // namespace swarmpki
