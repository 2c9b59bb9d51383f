// Byte encodings and digests used across the tool: hex, base64, SHA-256, and secret buffers.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/encoding.hpp is crypto layer (2); the util layer may not include it"
#endif

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

using Bytes = std::vector<std::uint8_t>;
using Sha256 = std::array<std::uint8_t, 32>;

std::string hex_encode(const std::uint8_t* data, std::size_t size);
// Appends the lower-case hex of `data` to `out`, for renderers that build one buffer.
void append_hex(std::string& out, const std::uint8_t* data, std::size_t size);
inline std::string hex_encode(const Bytes& bytes) { return hex_encode(bytes.data(), bytes.size()); }
inline std::string hex_encode(const Sha256& d) { return hex_encode(d.data(), d.size()); }
std::optional<Bytes> hex_decode(std::string_view hex);

enum class Padding { required, forbidden, optional };
// Standard alphabet. Whitespace is not skipped: callers strip line breaks first.
std::optional<Bytes> base64_decode(std::string_view text, Padding padding = Padding::required);
std::string base64_encode(const std::uint8_t* data, std::size_t size);
inline std::string base64_encode(const Bytes& b) { return base64_encode(b.data(), b.size()); }

Sha256 sha256(std::string_view bytes);
Sha256 sha256(const std::uint8_t* data, std::size_t size);
inline std::string sha256_hex(std::string_view bytes) { return hex_encode(sha256(bytes)); }

// Constant-time comparison (CRYPTO_memcmp); sizes are not secret.
bool constant_time_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t size);

// A buffer of secret bytes (an unlock key, a token secret): wiped on destruction, never
// printable, movable but not copyable. Its bytes may contain NUL.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(Bytes bytes) : bytes_(std::move(bytes)) {}
    SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {}
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    ~SecretBytes();

    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }

private:
    void wipe();
    Bytes bytes_;
};

// Overwrites `size` bytes at `data` with OPENSSL_cleanse, which the compiler may not drop as a
// dead store (std::fill before a free may be): for secrets held outside a SecretBytes.
void secure_wipe(void* data, std::size_t size);

// Fills with OpenSSL's CSPRNG; throws ossl::Error if the generator fails.
void random_bytes(std::uint8_t* out, std::size_t size);

}  // namespace swarmpki
