// Fuzzes the key loader on PEM text: PKCS#8, SEC1, legacy Proc-Type encrypted keys, and the
// unlock-key parser. Errors must be swarmpki::Error with one line; a loaded key must describe
// itself. Encrypted PKCS#8 is loaded without a password only: its PBKDF2 iteration count comes
// from the input, and a decryption with an attacker's count is a timeout, not a finding.
#include "ossl.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check_error(const swarmpki::Error& e) {
    std::string line = e.what();
    if (line.empty() || line.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        swarmpki::SecretBytes unlock = swarmpki::parse_unlock_key(text);
        if (unlock.empty()) std::abort();
    } catch (const swarmpki::Error& e) {
        check_error(e);
    }

    swarmpki::PemParseResult parsed = swarmpki::parse_pem(text);
    if (!parsed.bundle) return 0;
    swarmpki::SecretBytes password(swarmpki::Bytes(32, 0x5a));
    for (const swarmpki::PemBlock& block : parsed.bundle->blocks) {
        swarmpki::KeyFileFacts facts = swarmpki::describe_key_block(block);
        bool try_password = facts.encoding == swarmpki::KeyEncoding::legacy_encrypted;
        try {
            swarmpki::PrivateKey key = swarmpki::load_private_key(
                block, try_password ? &password : nullptr, "fuzz.key");
            if (key.type().empty()) std::abort();
            if (key.public_key_der().empty()) std::abort();
        } catch (const swarmpki::Error& e) {  // ossl::Error is one too
            check_error(e);
        }
        swarmpki::ossl::drain_errors();
    }
    return 0;
}
