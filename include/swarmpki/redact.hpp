// Keeping join tokens and unlock keys out of what the tool prints.
//
// Operators slip: a token pasted where a directory goes, an unlock key given as a file name, a
// token typed as the command. Every such slip used to come back verbatim in an error message
// (Boost.Program_options quotes the value it refuses, "no such file" quotes the path), and from
// there into terminals, CI logs and Ansible output. These functions find anything shaped like a
// secret, so that the command layer can refuse it before parsing and redact it in any message
// that escapes anyway.
#pragma once

// Util layer (1): includable from every layer.

#include <string>
#include <string_view>

namespace swarmpki {

enum class SecretShape { none, join_token, unlock_key };

// The first secret-shaped word in `text`: "SWMTKN-" or "SWMKEY-" (any case) followed by at
// least ten of the characters such a secret is written in (a bare prefix is no secret).
SecretShape find_secret_shape(std::string_view text) noexcept;

// `text` with every secret-shaped word replaced by "<join token>" or "<unlock key>".
std::string redact_secrets(std::string_view text);

// What to do instead, for a message about a secret of this shape: "pass a join token with
// --token or --token-file", ...; empty for SecretShape::none.
std::string_view secret_hint(SecretShape shape) noexcept;

// redact_secrets(message), plus the hint for the first secret it found (if any), in parentheses.
std::string redact_message(std::string_view message);

}  // namespace swarmpki
