#include "swarmpki/redact.hpp"

#include <cctype>

namespace swarmpki {

namespace {

struct Prefix {
    std::string_view text;
    SecretShape shape;
    std::string_view placeholder;
};

constexpr Prefix kPrefixes[] = {
    {"swmtkn-", SecretShape::join_token, "<join token>"},
    {"swmkey-", SecretShape::unlock_key, "<unlock key>"},
};

// Base 36 and '-' for tokens; base64 (standard and URL alphabets) for unlock keys. Taking the
// union for both keeps a damaged secret (a typo, a stray character) from leaking its tail.
bool secret_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '/' ||
           c == '=' || c == '_';
}

// The prefix that starts at text[i], if any.
const Prefix* prefix_at(std::string_view text, std::size_t i) {
    for (const Prefix& p : kPrefixes) {
        if (text.size() - i < p.text.size()) continue;
        bool match = true;
        for (std::size_t k = 0; k < p.text.size() && match; ++k)
            match = std::tolower(static_cast<unsigned char>(text[i + k])) == p.text[k];
        if (match) return &p;
    }
    return nullptr;
}

// Where the secret that starts at text[i] ends, or `i` when the prefix stands alone ("does not
// start with SWMKEY-1-" names the format, it holds no secret): a secret has at least
// kMinimumBody characters after its prefix, the version included.
constexpr std::size_t kMinimumBody = 10;

std::size_t secret_end(std::string_view text, std::size_t i, const Prefix& p) {
    std::size_t end = i + p.text.size();
    while (end < text.size() && secret_char(text[end])) ++end;
    return end - (i + p.text.size()) >= kMinimumBody ? end : i;
}

}  // namespace

SecretShape find_secret_shape(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i)
        if (const Prefix* p = prefix_at(text, i); p && secret_end(text, i, *p) > i) return p->shape;
    return SecretShape::none;
}

std::string redact_secrets(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const Prefix* p = prefix_at(text, i);
        std::size_t end = p ? secret_end(text, i, *p) : i;
        if (end == i) {
            out += text[i++];
            continue;
        }
        out += p->placeholder;
        i = end;
    }
    return out;
}

std::string_view secret_hint(SecretShape shape) noexcept {
    switch (shape) {
        case SecretShape::join_token:
            return "a join token is a secret: pass it with --token, or in a file for --token-file";
        case SecretShape::unlock_key:
            return "an unlock key is a secret: put it in a file for --unlock-key-file, or pipe "
                   "it to --unlock-key-stdin";
        case SecretShape::none: break;
    }
    return {};
}

std::string redact_message(std::string_view message) {
    SecretShape shape = find_secret_shape(message);
    if (shape == SecretShape::none) return std::string(message);
    return redact_secrets(message) + " (" + std::string(secret_hint(shape)) + ")";
}

}  // namespace swarmpki
