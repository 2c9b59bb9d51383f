#include "swarmpki/encoding.hpp"

#include "ossl.hpp"

#include <array>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace swarmpki {

namespace {
// "00".."ff" for every byte value, so that a byte costs one load and one two-byte store.
constexpr std::array<char, 512> make_hex_pairs() {
    constexpr char kDigits[] = "0123456789abcdef";
    std::array<char, 512> pairs{};
    for (std::size_t b = 0; b < 256; ++b) {
        pairs[2 * b] = kDigits[b >> 4];
        pairs[2 * b + 1] = kDigits[b & 0x0f];
    }
    return pairs;
}
constexpr auto kHexPairs = make_hex_pairs();
}  // namespace

void append_hex(std::string& out, const std::uint8_t* data, std::size_t size) {
    std::size_t at = out.size();
    out.resize(at + size * 2);
    // Through a local pointer, each byte read once: a store through std::string's operator[] may
    // alias anything (char does), which made the compiler reload for every digit.
    char* p = out.data() + at;
    for (std::size_t i = 0; i < size; ++i) std::memcpy(p + 2 * i, &kHexPairs[2 * data[i]], 2);
}

std::string hex_encode(const std::uint8_t* data, std::size_t size) {
    std::string out;
    append_hex(out, data, size);
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}
}  // namespace

std::optional<Bytes> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text, Padding padding) {
    std::size_t pad = 0;
    while (pad < text.size() && pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
    std::string_view body = text.substr(0, text.size() - pad);
    for (char c : body)
        if (!is_base64_char(c)) return std::nullopt;
    std::size_t remainder = body.size() % 4;
    if (remainder == 1) return std::nullopt;
    bool padded_input = pad > 0;
    if (padded_input && (body.size() + pad) % 4 != 0) return std::nullopt;
    if (padded_input && padding == Padding::forbidden) return std::nullopt;
    if (!padded_input && remainder != 0 && padding == Padding::required) return std::nullopt;
    std::string normalized(body);
    normalized.append((4 - remainder) % 4, '=');
    Bytes out(normalized.size() / 4 * 3 + 1);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(normalized.data()),
                            static_cast<int>(normalized.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts padding bytes as zeros; take them off again.
    std::size_t real = static_cast<std::size_t>(n) - (4 - remainder) % 4;
    out.resize(real);
    return out;
}

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                            static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Sha256 sha256(const std::uint8_t* data, std::size_t size) {
    Sha256 digest{};
    unsigned int length = 0;
    ossl::check(EVP_Digest(data, size, digest.data(), &length, EVP_sha256(), nullptr), "SHA-256");
    return digest;
}

Sha256 sha256(std::string_view bytes) {
    return sha256(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

bool constant_time_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t size) {
    return CRYPTO_memcmp(a, b, size) == 0;
}

void secure_wipe(void* data, std::size_t size) { OPENSSL_cleanse(data, size); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        bytes_ = std::move(other.bytes_);
    }
    return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_.clear();
}

void random_bytes(std::uint8_t* out, std::size_t size) {
    ossl::check(RAND_bytes(out, static_cast<int>(size)), "generating random bytes");
}

}  // namespace swarmpki
