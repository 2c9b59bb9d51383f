// Renderings of join tokens and of `token verify`'s check: swarmpki.token/v1, swarmpki.tokens/v1
// (a batch, streamed) and swarmpki.token-verify/v1 (docs/tokens.md), and their text forms.
// A token's secret is written only when the caller passes ShowSecret::yes.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/token_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/join_token.hpp"
#include "swarmpki/json_writer.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace swarmpki {

inline constexpr const char* kTokenSchema = "swarmpki.token/v1";
inline constexpr const char* kTokenBatchSchema = "swarmpki.tokens/v1";
inline constexpr const char* kTokenVerifySchema = "swarmpki.token-verify/v1";

enum class ShowSecret { no, yes };

// `token decode` of one token: the aligned card, the swarmpki.token/v1 document, and the batch
// entry of line 1 on one line (--format jsonl).
std::string render_token_text(const JoinToken& token, ShowSecret show);
std::string render_token_json(const JoinToken& token, ShowSecret show);
std::string render_token_jsonl(const JoinToken& token, ShowSecret show);

// `token generate`: the token alone on a line, or its document (secret included: it is what was
// asked for) with the token and the root file it pins.
std::string render_generated_token_text(const JoinToken& token);
std::string render_generated_token_json(const JoinToken& token, const std::string& root_file);

// `token decode -`: a batch rendered as it streams, so a million tokens take constant memory.
// Each call appends to `out`, which the caller writes out whenever it likes. json is one
// swarmpki.tokens/v1 document (entries compact, one a line), jsonl one entry a line, text one
// line a token.
enum class TokenBatchFormat { text, json, jsonl };
struct TokenBatchCounts {
    std::size_t tokens = 0, valid = 0, invalid = 0;
};
class TokenBatchRenderer {
public:
    TokenBatchRenderer(TokenBatchFormat format, ShowSecret show);
    void begin(std::string& out);
    // One input line: its token, or (token null) the reason it is not one, which never holds
    // the secret (join_token.hpp).
    void entry(std::string& out, std::size_t line, const JoinToken* token, std::string_view error);
    void finish(std::string& out, const TokenBatchCounts& counts);

private:
    TokenBatchFormat format_;
    ShowSecret show_;
    JsonWriter document_{JsonStyle::pretty};  // json: the frame around the entries
    std::string entry_;                       // reused for every entry
};

// One batch entry, compact, as the batch writes it (appended by hand, for speed); exposed so that
// a test can hold it to JsonWriter's rendering of the same members.
void append_token_entry_json(std::string& out, std::size_t line, const JoinToken* token,
                             std::string_view error, ShowSecret show);
std::string render_token_entry_with_writer(std::size_t line, const JoinToken* token,
                                           std::string_view error, ShowSecret show);

// `token verify`: did the token pin the root file at `path`, and if not, what would have.
std::string render_token_verify_text(const RootFileCheck& check, const JoinToken& token,
                                     const std::string& path);
std::string render_token_verify_json(const RootFileCheck& check, const JoinToken& token,
                                     const std::string& path);

}  // namespace swarmpki
