// Join-token documents: one token decoded or generated, a streamed batch, and `token verify`.
//
// A batch entry is the same members as a single token's document plus `line` and `error`, so a
// script reads one shape whichever way it asked; entries are compact (one a line) because a
// batch may hold millions. The secret is written only under ShowSecret::yes.
#include "swarmpki/token_render.hpp"

#include "swarmpki/encoding.hpp"

#include <charconv>
#include <string>
#include <vector>

namespace swarmpki {

namespace {

void write_token_members(JsonWriter& json, const JoinToken& token, ShowSecret show) {
    json.member("version", token.version)
        .member("fips", token.fips)
        .member("digest_sha256", token.digest_hex())
        .member("digest_base36", token.digest_base36);
    if (show == ShowSecret::yes) {
        json.member("secret", token.secret_base36)
            .member("secret_redacted", false)
            .member("secret_hex", token.secret_hex());
    } else {
        json.null_member("secret").member("secret_redacted", true);
    }
}

// A line that is not a token has every token member, null, so entries share one shape.
void write_invalid_members(JsonWriter& json, ShowSecret show) {
    for (const char* name : {"version", "fips", "digest_sha256", "digest_base36", "secret"})
        json.null_member(name);
    json.member("secret_redacted", show == ShowSecret::no);
}

void write_entry_json(JsonWriter& json, std::size_t line, const JoinToken* token,
                      std::string_view error, ShowSecret show) {
    json.begin_object().member("line", line);
    if (token) {
        json.null_member("error");
        write_token_members(json, *token, show);
    } else {
        json.member("error", error);
        write_invalid_members(json, show);
    }
    json.end_object();
}

// The same entry as write_entry_json, appended by hand: a batch of a million tokens spends most
// of its time here, and JsonWriter's general path (escaping every key, tracking commas) made
// `token decode - --format jsonl` 2.3 times slower (0.59 against 1.37 M tokens per CPU-second,
// scripts/bench tokens' input). The digest and base-36 strings are plain ASCII by construction
// (the parser accepted them) and the error goes through append_json_string;
// tests/test_token_render.cpp pins these bytes to JsonWriter's for every shape of entry.
void append_entry_json(std::string& out, std::size_t line, const JoinToken* token,
                       std::string_view error, ShowSecret show) {
    char digits[24];
    out += "{\"line\":";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, line).ptr);
    out += ",\"error\":";
    if (!token) {
        append_json_string(out, error);
        out += ",\"version\":null,\"fips\":null,\"digest_sha256\":null,\"digest_base36\":null,"
               "\"secret\":null,\"secret_redacted\":";
        out += show == ShowSecret::yes ? "false}" : "true}";
        return;
    }
    out += "null,\"version\":";
    out += token->version == 2 ? '2' : '1';
    out += token->fips ? ",\"fips\":true" : ",\"fips\":false";
    out += ",\"digest_sha256\":\"";
    append_hex(out, token->digest.data(), token->digest.size());
    out += "\",\"digest_base36\":\"";
    out += token->digest_base36;
    if (show == ShowSecret::yes) {
        out += "\",\"secret\":\"";
        out += token->secret_base36;
        out += "\",\"secret_redacted\":false,\"secret_hex\":\"";
        out += token->secret_hex();
        out += "\"}";
    } else {
        out += "\",\"secret\":null,\"secret_redacted\":true}";
    }
}

void append_entry_text(std::string& out, std::size_t line, const JoinToken* token,
                       std::string_view error, ShowSecret show) {
    out += "line ";
    out += std::to_string(line);
    if (!token) {
        out += ": invalid: ";
        out += error;
        out += '\n';
        return;
    }
    out += token->version == 2 ? (token->fips ? ": v2 fips" : ": v2 non-fips") : ": v1";
    out += "  digest ";
    out += token->digest_hex();
    if (show == ShowSecret::yes) {
        out += "  secret ";
        out += token->secret_base36;
    } else {
        out += "  secret redacted";
    }
    out += '\n';
}

// What a match does not say: the engine compares the whole token with the two it stores, and
// `docker swarm join-token --rotate` replaces a secret while the digest stays.
constexpr const char* kDigestOnlyNote =
    "only the digest can be checked offline: whether the cluster still accepts this token's "
    "secret (a rotated-out token pins the same root) only a manager knows; compare with "
    "`docker swarm join-token -q worker` (or manager)";

}  // namespace

std::string render_token_text(const JoinToken& token, ShowSecret show) {
    std::string out;
    out += "version        " + std::to_string(token.version) + "\n";
    out += std::string("fips           ") + (token.fips ? "yes" : "no") + "\n";
    out += "digest sha256  " + token.digest_hex() + "\n";
    out += "digest base36  " + token.digest_base36 + "\n";
    if (show == ShowSecret::yes) {
        out += "secret         " + token.secret_base36 + "\n";
        out += "secret hex     " + token.secret_hex() + "\n";
    } else {
        out += "secret         (redacted; --show-secret prints it)\n";
    }
    return out;
}

std::string render_token_json(const JoinToken& token, ShowSecret show) {
    JsonWriter json;
    json.begin_object().member("schema", kTokenSchema);
    write_token_members(json, token, show);
    json.end_object();
    return json.take() + "\n";
}

std::string render_token_jsonl(const JoinToken& token, ShowSecret show) {
    JsonWriter json(JsonStyle::compact);
    write_entry_json(json, 1, &token, {}, show);
    return json.take() + "\n";
}

std::string render_generated_token_text(const JoinToken& token) { return token.to_string() + "\n"; }

std::string render_generated_token_json(const JoinToken& token, const std::string& root_file) {
    JsonWriter json;
    json.begin_object().member("schema", kTokenSchema);
    write_token_members(json, token, ShowSecret::yes);
    json.member("token", token.to_string()).member("root_file", root_file).end_object();
    return json.take() + "\n";
}

// ---- a batch -------------------------------------------------------------------------------

TokenBatchRenderer::TokenBatchRenderer(TokenBatchFormat format, ShowSecret show)
    : format_(format), show_(show) {}

void TokenBatchRenderer::begin(std::string& out) {
    if (format_ != TokenBatchFormat::json) return;
    document_.begin_object().member("schema", kTokenBatchSchema).key("tokens").begin_array();
    document_.flush_into(out);
}

void TokenBatchRenderer::entry(std::string& out, std::size_t line, const JoinToken* token,
                               std::string_view error) {
    switch (format_) {
        case TokenBatchFormat::text: append_entry_text(out, line, token, error, show_); break;
        case TokenBatchFormat::jsonl:
            append_entry_json(out, line, token, error, show_);
            out += '\n';
            break;
        case TokenBatchFormat::json:
            entry_.clear();
            append_entry_json(entry_, line, token, error, show_);
            document_.raw(entry_);
            document_.flush_into(out);
            break;
    }
}

void TokenBatchRenderer::finish(std::string& out, const TokenBatchCounts& counts) {
    if (format_ != TokenBatchFormat::json) return;
    JsonWriter summary(JsonStyle::single_line);
    summary.begin_object()
        .member("tokens", counts.tokens)
        .member("valid", counts.valid)
        .member("invalid", counts.invalid)
        .end_object();
    document_.end_array().key("summary").raw(summary.str()).end_object();
    document_.flush_into(out);
    out += '\n';
}

// ---- token verify --------------------------------------------------------------------------

std::string render_token_verify_text(const RootFileCheck& check, const JoinToken& token,
                                     const std::string& path) {
    if (check.match)
        return "match: the token pins " + path + " (sha256 " + hex_encode(check.file_sha256) +
               ")\n  " + kDigestOnlyNote + "\n";
    return "MISMATCH: a node joining with this token would refuse " + path + "\n  token digest  " +
           token.digest_hex() + "\n  file sha256   " + hex_encode(check.file_sha256) +
           "\n  hint: " + check.hint + "\n";
}

std::string render_token_verify_json(const RootFileCheck& check, const JoinToken& token,
                                     const std::string& path) {
    JsonWriter json;
    json.begin_object()
        .member("schema", kTokenVerifySchema)
        .member("match", check.match)
        .member("token_digest_sha256", token.digest_hex())
        .member("root_file_sha256", hex_encode(check.file_sha256));
    if (check.match) json.null_member("hint");
    else json.member("hint", check.hint);
    // Offline the token's secret cannot be checked (kDigestOnlyNote): said as a member, so that
    // a script does not read "match" as "this token joins".
    json.member("secret_checked", false);
    json.key("digest_typo");
    if (check.digest_typo)
        json.begin_object()
            .member("position", check.digest_typo->position)
            .member("token", std::string(1, check.digest_typo->token))
            .member("root_file", std::string(1, check.digest_typo->file))
            .end_object();
    else json.null();
    json.member("root_file", path);
    if (check.kind.empty()) json.null_member("root_file_kind");
    else json.member("root_file_kind", check.kind);
    std::vector<std::string> matching;
    for (const RootFileVariant& v : check.variants)
        if (v.matches) matching.push_back(v.name);
    json.member("matching_variants", matching);
    json.key("variants").begin_array();
    for (const RootFileVariant& v : check.variants)
        json.begin_object()
            .member("name", v.name)
            .member("sha256", hex_encode(v.sha256))
            .member("matches", v.matches)
            .end_object();
    json.end_array().end_object();
    return json.take() + "\n";
}

void append_token_entry_json(std::string& out, std::size_t line, const JoinToken* token,
                             std::string_view error, ShowSecret show) {
    append_entry_json(out, line, token, error, show);
}

std::string render_token_entry_with_writer(std::size_t line, const JoinToken* token,
                                           std::string_view error, ShowSecret show) {
    JsonWriter json(JsonStyle::compact);
    write_entry_json(json, line, token, error, show);
    return json.take();
}

}  // namespace swarmpki
