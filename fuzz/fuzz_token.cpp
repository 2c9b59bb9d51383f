// Fuzzes the join-token parser and the base-36 codec under it. Beyond "no crash, no UB", it
// checks what callers rely on: an accepted token re-encodes to exactly the input text (the
// encoding is canonical: lower case, fixed width, value in range), its digest and secret survive
// a base-36 round trip, a refusal is one line that never quotes the secret part, and a
// reused JoinToken (the batch path) gives the same answer as a fresh one.
#include "swarmpki/base36.hpp"
#include "swarmpki/join_token.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check_base36(std::string_view text) {
    std::uint8_t bytes[32];
    if (text.size() > 60) text = text.substr(0, 60);
    if (swarmpki::base36_decode(text, bytes, sizeof bytes) != swarmpki::Base36Decode::ok) return;
    char again[60];
    if (!swarmpki::base36_encode(bytes, sizeof bytes, again, text.size())) {
        // Only a value wider than the text's own width can fail to fit: never for decoded text.
        std::abort();
    }
    if (std::string_view(again, text.size()) != text) std::abort();
}

// At least 8 lower-case base-36 characters with both a digit and a letter.
bool looks_like_secret(std::string_view part) {
    bool digit = false, letter = false;
    for (char c : part) {
        if (c >= '0' && c <= '9') digit = true;
        else if (c >= 'a' && c <= 'z') letter = true;
        else return false;
    }
    return part.size() >= 8 && digit && letter;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    check_base36(text);

    swarmpki::JoinTokenParse parsed = swarmpki::parse_join_token(text);
    static swarmpki::JoinToken reused;  // carries state from the previous input, as a batch does
    std::string error;
    bool accepted_again = swarmpki::parse_join_token_into(text, reused, error);
    if (accepted_again != parsed.token.has_value()) std::abort();

    if (!parsed.token) {
        if (parsed.error.empty() || parsed.error.find('\n') != std::string::npos) std::abort();
        if (error != parsed.error) std::abort();
        // The last part would be the secret: a refusal must not quote it. (Only secret-like
        // parts are checked, so that words of the message itself, "expected", do not count.)
        std::size_t dash = text.rfind('-');
        std::string_view last = dash == std::string_view::npos ? text : text.substr(dash + 1);
        if (looks_like_secret(last) && parsed.error.find(last) != std::string::npos) std::abort();
        return 0;
    }
    const swarmpki::JoinToken& token = *parsed.token;
    if (token.to_string() != text) std::abort();
    if (swarmpki::digest_to_base36(token.digest) != token.digest_base36) std::abort();
    if (swarmpki::secret_to_base36(token.secret) != token.secret_base36) std::abort();
    if (reused.digest != token.digest || reused.secret != token.secret ||
        reused.fips != token.fips || reused.version != token.version)
        std::abort();
    return 0;
}
