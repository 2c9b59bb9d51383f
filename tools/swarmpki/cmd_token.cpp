// swarmpki token decode | verify | generate: join tokens, strictly parsed, checked against a root
// file, or made the engine's way.
//
// Decoding a batch ('-') streams standard input in fixed-size reads and writes output in large
// blocks from one reused buffer, so a million tokens take constant memory and about a second.
// A secret appears only with --show-secret (decode) or from generate, whose whole point it is.
#include "commands.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/join_token.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/pem.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki::cli {

namespace {

enum class ShowSecret { no, yes };

constexpr const char* kTokenHelpUsage =
    "swarmpki token decode|verify|generate [options]   (swarmpki token <sub> --help)";

// ---- rendering ----------------------------------------------------------------------------

void append_hex(std::string& out, const std::uint8_t* data, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t at = out.size();
    out.resize(at + 2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        out[at + 2 * i] = kHex[data[i] >> 4];
        out[at + 2 * i + 1] = kHex[data[i] & 0x0f];
    }
}

void append_number(std::string& out, std::size_t n) {
    char digits[24];
    auto result = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, result.ptr);
}

// One batch entry as compact JSON, appended directly (no per-token allocation): the members of
// swarmpki.token/v1 plus `line` and `error`. `token` is null for a bad line.
void append_entry_json(std::string& out, std::size_t line, const JoinToken* token,
                       std::string_view error, ShowSecret show) {
    out += "{\"line\":";
    append_number(out, line);
    out += ",\"error\":";
    if (token) {
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
            append_hex(out, token->secret.data(), token->secret.size());
            out += "\"}";
        } else {
            out += "\",\"secret\":null,\"secret_redacted\":true}";
        }
    } else {
        append_json_string(out, error);
        out += ",\"version\":null,\"fips\":null,\"digest_sha256\":null,\"digest_base36\":null,"
               "\"secret\":null,\"secret_redacted\":";
        out += show == ShowSecret::yes ? "false}" : "true}";
    }
}

void append_entry_text(std::string& out, std::size_t line, const JoinToken* token,
                       std::string_view error, ShowSecret show) {
    out += "line ";
    append_number(out, line);
    if (!token) {
        out += ": invalid: ";
        out += error;
        out += '\n';
        return;
    }
    out += token->version == 2 ? (token->fips ? ": v2 fips" : ": v2 non-fips") : ": v1";
    out += "  digest ";
    append_hex(out, token->digest.data(), token->digest.size());
    if (show == ShowSecret::yes) {
        out += "  secret ";
        out += token->secret_base36;
    } else {
        out += "  secret redacted";
    }
    out += '\n';
}

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

std::string token_text(const JoinToken& token, ShowSecret show) {
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

// ---- token sources ------------------------------------------------------------------------

// Spaces, tabs and line endings around a token are how it arrives from files and terminals;
// whitespace inside it is refused by the parser.
std::string_view trim_edges(std::string_view text) {
    constexpr std::string_view kEdges = " \t\r\n";
    std::size_t first = text.find_first_not_of(kEdges);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kEdges) - first + 1);
}

// "token: character 7 ..." under the subject "join token" reads "join token: character 7 ...".
std::string without_token_word(const std::string& reason) {
    constexpr std::string_view kWord = "token: ";
    return reason.rfind(kWord, 0) == 0 ? reason.substr(kWord.size()) : reason;
}

JoinToken parse_or_throw(std::string_view text, const std::string& subject) {
    JoinTokenParse parsed = parse_join_token(join_token_text(text));
    if (!parsed.token) throw Error(subject, without_token_word(parsed.error));
    return std::move(*parsed.token);
}

// The first line of standard input, read no further than a token could reach, so a huge or
// endless stream is refused without being held in memory.
JoinToken token_from_stdin() {
    constexpr std::size_t kLimit = 64 * 1024;
    std::string line;
    for (char c; line.size() <= kLimit && std::cin.get(c) && c != '\n';) line += c;
    if (line.size() > kLimit)
        throw Error("standard input", "the first line is over " + std::to_string(kLimit) +
                                          " bytes: not a join token");
    if (trim_edges(line).empty())
        throw Error("standard input", "no token on the first line",
                    "pipe the token from `docker swarm join-token -q worker`");
    return parse_or_throw(line, "standard input");
}

// TOKEN, '-' (one token from standard input) or --token-file F: exactly one.
JoinToken read_single_token(const po::variables_map& vm) {
    bool positional = vm.count("token") > 0;
    bool file = vm.count("token-file") > 0;
    if (positional == file)
        throw UsageError(positional
                             ? "give the token or --token-file, not both"
                             : "give a join token, '-' for standard input, or --token-file F");
    if (file) return read_join_token_file(vm["token-file"].as<std::string>());
    const std::string& text = vm["token"].as<std::string>();
    if (text == "-") return token_from_stdin();
    return parse_or_throw(text, "join token");
}

// --ca FILE or --dir DIR (its swarm-root-ca.crt): exactly one.
std::string root_file_path(const po::variables_map& vm) {
    bool ca = vm.count("ca") > 0;
    bool dir = vm.count("dir") > 0;
    if (ca == dir)
        throw UsageError(ca ? "give --ca or --dir, not both" : "give --ca FILE or --dir DIR");
    if (ca) return vm["ca"].as<std::string>();
    std::string d = vm["dir"].as<std::string>();
    return d + (d.empty() || d.back() == '/' ? "" : "/") + kRootCertFile;
}

// ---- decode, batch ------------------------------------------------------------------------

// Calls `on_line(number, text)` for each line of `fd`, reading fixed-size blocks. A line longer
// than the buffer is not kept: `on_overlong(number, bytes)` gets its length instead.
template <typename OnLine, typename OnOverlong>
void for_each_line(int fd, OnLine&& on_line, OnOverlong&& on_overlong) {
    constexpr std::size_t kBuffer = 1 << 20;
    std::vector<char> buffer(kBuffer);
    std::size_t filled = 0;
    std::size_t number = 0;
    std::size_t overlong = 0;  // bytes of an overlong line seen so far, 0 when not in one
    bool eof = false;
    while (!eof) {
        ssize_t got = ::read(fd, buffer.data() + filled, buffer.size() - filled);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw Error("standard input", std::string("read failed: ") + std::strerror(errno));
        }
        eof = got == 0;
        filled += static_cast<std::size_t>(got);
        std::size_t start = 0;
        for (;;) {
            const char* nl = static_cast<const char*>(
                std::memchr(buffer.data() + start, '\n', filled - start));
            if (!nl) break;
            std::size_t end = static_cast<std::size_t>(nl - buffer.data());
            ++number;
            if (overlong) {
                on_overlong(number, overlong + end - start);
                overlong = 0;
            } else {
                on_line(number, std::string_view(buffer.data() + start, end - start));
            }
            start = end + 1;
        }
        std::size_t rest = filled - start;
        if (eof && rest > 0) {  // a last line without newline
            ++number;
            if (overlong) on_overlong(number, overlong + rest);
            else on_line(number, std::string_view(buffer.data() + start, rest));
            rest = 0;
        } else if (start == 0 && rest == buffer.size()) {  // a full buffer and no newline
            overlong += rest;
            rest = 0;
        } else if (eof && overlong) {
            on_overlong(++number, overlong);
        }
        std::memmove(buffer.data(), buffer.data() + start, rest);
        filled = rest;
    }
}

enum class BatchFormat { text, json, jsonl };

class BatchDecoder {
public:
    BatchDecoder(BatchFormat format, ShowSecret show, bool quiet)
        : format_(format), show_(show), quiet_(quiet) {
        out_.reserve(kFlushAt + 4096);
    }

    ExitCode run(int fd) {
        if (format_ == BatchFormat::json)
            out_ += "{\n  \"schema\": \"swarmpki.tokens/v1\",\n  \"tokens\": [";
        for_each_line(
            fd, [this](std::size_t line, std::string_view text) { decode(line, text); },
            [this](std::size_t line, std::size_t bytes) {
                bad(line, "token: " + std::to_string(bytes) + " bytes, over the " +
                              std::to_string(kMaxJoinTokenLength) + "-byte limit");
            });
        if (format_ == BatchFormat::json) finish_document();
        flush();
        return report();
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;

    void decode(std::size_t line, std::string_view text) {
        text = trim_edges(text);
        if (text.empty()) return;  // blank lines separate groups of tokens; not an error
        if (parse_join_token_into(text, token_, error_)) {
            ++valid_;
            emit(line, &token_, {});
        } else {
            bad(line, error_);
        }
    }

    void bad(std::size_t line, const std::string& reason) {
        if (invalid_++ == 0) first_bad_ = "line " + std::to_string(line) + ": " + reason;
        emit(line, nullptr, reason);
    }

    void emit(std::size_t line, const JoinToken* token, std::string_view error) {
        ++entries_;
        if (quiet_) return;
        switch (format_) {
            case BatchFormat::text: append_entry_text(out_, line, token, error, show_); break;
            case BatchFormat::jsonl:
                append_entry_json(out_, line, token, error, show_);
                out_ += '\n';
                break;
            case BatchFormat::json:
                out_ += entries_ == 1 ? "\n    " : ",\n    ";
                append_entry_json(out_, line, token, error, show_);
                break;
        }
        if (out_.size() >= kFlushAt) flush();
    }

    void finish_document() {
        out_ += entries_ ? "\n  ],\n" : "],\n";
        out_ += "  \"summary\": {\"tokens\": ";
        append_number(out_, entries_);
        out_ += ", \"valid\": ";
        append_number(out_, valid_);
        out_ += ", \"invalid\": ";
        append_number(out_, invalid_);
        out_ += "}\n}\n";
    }

    void flush() {
        if (!quiet_) std::fwrite(out_.data(), 1, out_.size(), stdout);
        out_.clear();
    }

    ExitCode report() const {
        std::fflush(stdout);
        if (entries_ == 0) {
            std::cerr << "swarmpki: standard input: no tokens (one join token a line)\n";
            return ExitCode::unevaluable;
        }
        if (invalid_ == 0) return ExitCode::ok;
        std::cerr << "swarmpki: standard input: " << invalid_ << " of " << entries_
                  << " lines are not valid join tokens (first: " << first_bad_ << ")\n";
        return ExitCode::unevaluable;
    }

    BatchFormat format_;
    ShowSecret show_;
    bool quiet_;
    std::string out_;
    JoinToken token_;    // reused: its strings keep their capacity
    std::string error_;  // reused
    std::string first_bad_;
    std::size_t entries_ = 0, valid_ = 0, invalid_ = 0;
};

// ---- subcommands --------------------------------------------------------------------------

void add_token_source_options(po::options_description& options) {
    options.add_options()("token", po::value<std::string>(),
                          "the join token ('-': standard input)")("token-file",
                                                                  po::value<std::string>(),
                                                                  "read the token from this file");
}

ExitCode run_token_decode(const Args& args) {
    po::options_description options("token decode options");
    add_token_source_options(options);
    options.add_options()("show-secret", "print the secret (25 base-36 characters and hex)");
    add_common_options(options, "output format: text, json or jsonl");
    po::positional_options_description positional;
    positional.add("token", 1);
    po::variables_map vm = parse_args(args, options, positional);
    if (wants_help(vm)) {
        print_help(
            {"swarmpki token decode [TOKEN | -] [--token-file F] [--show-secret] "
             "[--format text|json|jsonl]",
             "Splits a join token into version, FIPS flag, the root digest (hex SHA-256 and "
             "its 50 base-36 characters) and the secret, which stays redacted unless "
             "--show-secret. Refuses a malformed token with the part and the rule it breaks. "
             "With '-', decodes one token a line from standard input (blank lines skipped), "
             "streaming: json gives one swarmpki.tokens/v1 document, jsonl one entry a line.",
             "  swarmpki token decode SWMTKN-1-3hdplcks...son25-5kca0q...eabg\n"
             "  docker swarm join-token -q worker | swarmpki token decode - --format json\n"
             "  swarmpki token decode - --format jsonl < tokens.txt",
             "  0  decoded    3  malformed token (in a batch: any line)    64  usage error"},
            options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, "text|json|jsonl");
    ShowSecret show = vm.count("show-secret") ? ShowSecret::yes : ShowSecret::no;

    if (vm.count("token") && vm["token"].as<std::string>() == "-") {
        if (vm.count("token-file")) throw UsageError("give '-' or --token-file, not both");
        BatchFormat format = common.format == "json"    ? BatchFormat::json
                             : common.format == "jsonl" ? BatchFormat::jsonl
                                                        : BatchFormat::text;
        return BatchDecoder(format, show, common.quiet).run(STDIN_FILENO);
    }
    JoinToken token = read_single_token(vm);
    if (common.quiet) return ExitCode::ok;
    if (common.format == "text") {
        write_stdout(token_text(token, show));
    } else if (common.format == "jsonl") {
        std::string line;
        append_entry_json(line, 1, &token, {}, show);
        write_stdout(line + "\n");
    } else {
        JsonWriter json;
        json.begin_object().member("schema", "swarmpki.token/v1");
        write_token_members(json, token, show);
        json.end_object();
        write_stdout(json.take() + "\n");
    }
    return ExitCode::ok;
}

std::string verify_text(const RootFileCheck& check, const JoinToken& token,
                        const std::string& path) {
    if (check.match)
        return "match: the token pins " + path + " (sha256 " + hex_encode(check.file_sha256) +
               ")\n";
    return "MISMATCH: a node joining with this token would refuse " + path + "\n  token digest  " +
           token.digest_hex() + "\n  file sha256   " + hex_encode(check.file_sha256) +
           "\n  hint: " + check.hint + "\n";
}

std::string verify_json(const RootFileCheck& check, const JoinToken& token,
                        const std::string& path) {
    JsonWriter json;
    json.begin_object()
        .member("schema", "swarmpki.token-verify/v1")
        .member("match", check.match)
        .member("token_digest_sha256", token.digest_hex())
        .member("root_file_sha256", hex_encode(check.file_sha256));
    if (check.match) json.null_member("hint");
    else json.member("hint", check.hint);
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

ExitCode run_token_verify(const Args& args) {
    po::options_description options("token verify options");
    add_token_source_options(options);
    options.add_options()("ca", po::value<std::string>(),
                          "the root bundle file (swarm-root-ca.crt)")(
        "dir", po::value<std::string>(), "a node's certificate directory (its swarm-root-ca.crt)");
    add_common_options(options, "output format: text or json");
    po::positional_options_description positional;
    positional.add("token", 1);
    po::variables_map vm = parse_args(args, options, positional);
    if (wants_help(vm)) {
        print_help({"swarmpki token verify (TOKEN | - | --token-file F) (--ca FILE | --dir DIR) "
                    "[--format text|json]",
                    "Would a node joining with this token accept this root? Compares the token's "
                    "digest with the SHA-256 of the root file's exact bytes, in constant time, as "
                    "the joining node does. On a mismatch it says what would match (LF instead of "
                    "CRLF, with or without the trailing newline, a single certificate, the PEM "
                    "re-encoding, the DER) and whether the file is a node certificate, not a root.",
                    "  swarmpki token verify \"$(docker swarm join-token -q worker)\" "
                    "--dir /var/lib/docker/swarm/certificates\n"
                    "  swarmpki token verify --token-file t.txt --ca root.crt --format json",
                    "  0  the token pins this root    2  mismatch    3  bad token or unreadable "
                    "file    64  usage error"},
                   options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, "text|json");
    std::string path = root_file_path(vm);
    JoinToken token = read_single_token(vm);
    std::string bytes = read_file(path);
    RootFileCheck check = check_root_file(token, bytes, path);
    ExitCode code = check.match ? ExitCode::ok : ExitCode::critical;
    if (prints_result(common, code))
        write_stdout(common.format == "json" ? verify_json(check, token, path)
                                             : verify_text(check, token, path));
    return code;
}

// The engine would refuse a token for a file that is not a bundle of self-signed CAs.
void require_root_bundle(const std::string& bytes, const std::string& path) {
    std::vector<Certificate> certs = certificates_from_pem(parse_pem_or_throw(bytes, path), path);
    for (std::size_t i = 0; i < certs.size(); ++i) {
        const Certificate& cert = certs[i];
        std::string which = "certificate " + std::to_string(i + 1) + " (" + cert.subject() + ")";
        if (!cert.is_ca())
            throw Error(path,
                        which + " is not a CA" +
                            (role_of_organizational_unit(cert.organizational_unit())
                                 ? std::string(": it is a node certificate")
                                 : std::string()),
                        "give the root bundle, swarm-root-ca.crt", ReadFailure::bad_pem);
        if (!cert.subject_equals_issuer() || !cert.signature_verified_by(cert))
            throw Error(path, which + " is not a self-signed root",
                        "give the root bundle, swarm-root-ca.crt", ReadFailure::bad_pem);
    }
}

ExitCode run_token_generate(const Args& args) {
    po::options_description options("token generate options");
    options.add_options()("ca", po::value<std::string>(),
                          "the root bundle file the token pins (swarm-root-ca.crt)")(
        "dir", po::value<std::string>(), "a node's certificate directory (its swarm-root-ca.crt)")(
        "fips", "make a FIPS token (SWMTKN-2-1-...)");
    add_common_options(options, "output format: text or json");
    po::variables_map vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(
            {"swarmpki token generate (--ca FILE | --dir DIR) [--fips] [--format text|json]",
             "Makes a new join token for that root the way the engine does: the SHA-256 of "
             "the file's exact bytes as 50 base-36 characters, and 16 bytes from OpenSSL's "
             "CSPRNG as 25. The token (with its secret) is printed: that is the point. A "
             "cluster only accepts tokens it stores itself; this is for tests and labs.",
             "  swarmpki token generate --ca swarm-root-ca.crt\n"
             "  swarmpki token generate --dir ./node --fips --format json",
             "  0  token printed    3  unreadable file or not a root bundle    64  usage error"},
            options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, "text|json");
    std::string path = root_file_path(vm);
    std::string bytes = read_file(path);
    require_root_bundle(bytes, path);
    JoinToken token = generate_join_token(bytes, vm.count("fips") > 0);
    if (common.quiet) return ExitCode::ok;
    if (common.format == "text") {
        write_stdout(token.to_string() + "\n");
        return ExitCode::ok;
    }
    JsonWriter json;
    json.begin_object().member("schema", "swarmpki.token/v1");
    write_token_members(json, token, ShowSecret::yes);
    json.member("token", token.to_string()).member("root_file", path).end_object();
    write_stdout(json.take() + "\n");
    return ExitCode::ok;
}

}  // namespace

ExitCode run_token(const Args& args) {
    if (args.empty()) throw UsageError(std::string("a subcommand is needed: ") + kTokenHelpUsage);
    const std::string& sub = args.front();
    Args rest(args.begin() + 1, args.end());
    if (sub == "decode") return run_token_decode(rest);
    if (sub == "verify") return run_token_verify(rest);
    if (sub == "generate") return run_token_generate(rest);
    if (sub == "--help" || sub == "-h" || sub == "help") {
        std::cout << "usage: " << kTokenHelpUsage
                  << "\n\n  decode    split a token into version, FIPS flag, root digest, secret\n"
                     "  verify    does the token pin this root file (exact bytes)\n"
                     "  generate  a new token for a root, the engine's way\n\nEXIT CODES\n"
                  << kStandardExitCodes << "\n";
        return ExitCode::ok;
    }
    // Never echo the word: it may be a token pasted where the subcommand belongs.
    throw UsageError(std::string("unknown subcommand (expected decode, verify or generate): ") +
                     kTokenHelpUsage);
}

}  // namespace swarmpki::cli
