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
#include "swarmpki/node_files.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/token_render.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki::cli {

namespace {

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

// Reads the lines, parses each, counts, and hands every entry to the renderer; the output goes
// out in blocks of about kFlushAt bytes from one reused buffer.
class BatchDecoder {
public:
    BatchDecoder(TokenBatchFormat format, ShowSecret show, bool quiet)
        : renderer_(format, show), quiet_(quiet) {
        out_.reserve(kFlushAt + 4096);
    }

    ExitCode run(int fd) {
        if (!quiet_) renderer_.begin(out_);
        for_each_line(
            fd, [this](std::size_t line, std::string_view text) { decode(line, text); },
            [this](std::size_t line, std::size_t bytes) {
                bad(line, "token: " + std::to_string(bytes) + " bytes, over the " +
                              std::to_string(kMaxJoinTokenLength) + "-byte limit");
            });
        if (!quiet_) renderer_.finish(out_, counts_);
        flush();
        return report();
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;

    void decode(std::size_t line, std::string_view text) {
        text = trim_edges(text);
        if (text.empty()) return;  // blank lines separate groups of tokens; not an error
        if (parse_join_token_into(text, token_, error_)) {
            ++counts_.valid;
            emit(line, &token_, {});
        } else {
            bad(line, error_);
        }
    }

    void bad(std::size_t line, const std::string& reason) {
        if (counts_.invalid++ == 0) first_bad_ = "line " + std::to_string(line) + ": " + reason;
        emit(line, nullptr, reason);
    }

    void emit(std::size_t line, const JoinToken* token, std::string_view error) {
        ++counts_.tokens;
        if (quiet_) return;
        renderer_.entry(out_, line, token, error);
        if (out_.size() >= kFlushAt) flush();
    }

    void flush() {
        if (!quiet_) std::fwrite(out_.data(), 1, out_.size(), stdout);
        out_.clear();
    }

    ExitCode report() const {
        std::fflush(stdout);
        if (counts_.tokens == 0) {
            std::cerr << "swarmpki: standard input: no tokens (one join token a line)\n";
            return ExitCode::unevaluable;
        }
        if (counts_.invalid == 0) return ExitCode::ok;
        std::cerr << "swarmpki: standard input: " << counts_.invalid << " of " << counts_.tokens
                  << " lines are not valid join tokens (first: " << first_bad_ << ")\n";
        return ExitCode::unevaluable;
    }

    TokenBatchRenderer renderer_;
    bool quiet_;
    std::string out_;
    JoinToken token_;    // reused: its strings keep their capacity
    std::string error_;  // reused
    std::string first_bad_;
    TokenBatchCounts counts_;
};

// ---- subcommands --------------------------------------------------------------------------

void add_token_source_options(po::options_description& options) {
    options.add_options()("token", po::value<std::string>(),
                          "the join token ('-': standard input)")("token-file",
                                                                  po::value<std::string>(),
                                                                  "read the token from this file");
}

po::options_description decode_options() {
    po::options_description options("token decode options");
    add_token_source_options(options);
    options.add_options()("show-secret", "print the secret (25 base-36 characters and hex)");
    add_common_options(options, "output format: text, json or jsonl");
    return options;
}

ExitCode run_token_decode(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, "text|json|jsonl");
    ShowSecret show = vm.count("show-secret") ? ShowSecret::yes : ShowSecret::no;

    if (vm.count("token") && vm["token"].as<std::string>() == "-") {
        if (vm.count("token-file")) throw UsageError("give '-' or --token-file, not both");
        TokenBatchFormat format = common.format == "json"    ? TokenBatchFormat::json
                                  : common.format == "jsonl" ? TokenBatchFormat::jsonl
                                                             : TokenBatchFormat::text;
        return BatchDecoder(format, show, common.quiet).run(STDIN_FILENO);
    }
    JoinToken token = read_single_token(vm);
    if (common.quiet) return ExitCode::ok;
    write_stdout(common.format == "text"    ? render_token_text(token, show)
                 : common.format == "jsonl" ? render_token_jsonl(token, show)
                                            : render_token_json(token, show));
    return ExitCode::ok;
}

po::options_description verify_options() {
    po::options_description options("token verify options");
    add_token_source_options(options);
    options.add_options()("ca", po::value<std::string>(),
                          "the root bundle file (swarm-root-ca.crt)")(
        "dir", po::value<std::string>(), "a node's certificate directory (its swarm-root-ca.crt)");
    add_common_options(options, "output format: text or json");
    return options;
}

ExitCode run_token_verify(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, "text|json");
    std::string path = root_file_path(vm);
    JoinToken token = read_single_token(vm);
    std::string bytes = read_file(path);
    RootFileCheck check = check_root_file(token, bytes, path);
    ExitCode code = check.match ? ExitCode::ok : ExitCode::critical;
    if (prints_result(common, code))
        write_stdout(common.format == "json" ? render_token_verify_json(check, token, path)
                                             : render_token_verify_text(check, token, path));
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

po::options_description generate_options() {
    po::options_description options("token generate options");
    options.add_options()("ca", po::value<std::string>(),
                          "the root bundle file the token pins (swarm-root-ca.crt)")(
        "dir", po::value<std::string>(), "a node's certificate directory (its swarm-root-ca.crt)")(
        "fips", "make a FIPS token (SWMTKN-2-1-...)");
    add_common_options(options, "output format: text or json");
    return options;
}

ExitCode run_token_generate(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, "text|json");
    std::string path = root_file_path(vm);
    std::string bytes = read_file(path);
    require_root_bundle(bytes, path);
    JoinToken token = generate_join_token(bytes, vm.count("fips") > 0);
    if (common.quiet) return ExitCode::ok;
    write_stdout(common.format == "text" ? render_generated_token_text(token)
                                         : render_generated_token_json(token, path));
    return ExitCode::ok;
}

// ---- the table ------------------------------------------------------------------------------

// The examples run as written (tests/test_cli_help.cpp): the literal token is the fixtures'
// worker token from before `docker swarm join-token --rotate worker`, so it still pins the root
// but no longer joins.
#define SWARMPKI_OLD_WORKER_TOKEN \
    "SWMTKN-1-66r4cjavviwup6jecjqbxm2iqbiij0qgdf0b96j4oomipfvmli-d1vc1czot2czo3aj02oukvtr7"

constexpr Subcommand kSubcommands[] = {
    {"decode",
     "split a token into version, FIPS flag, root digest, secret",
     {"swarmpki token decode [TOKEN | -] [--token-file F] [--show-secret] "
      "[--format text|json|jsonl]",
      "Splits a join token into version, FIPS flag, the root digest (hex SHA-256 and its 50 "
      "base-36 characters) and the secret, which stays redacted unless --show-secret. Refuses a "
      "malformed token with the part and the rule it breaks. With '-', decodes one token a line "
      "from standard input (blank lines skipped), streaming: json gives one swarmpki.tokens/v1 "
      "document, jsonl one entry a line.",
      "  swarmpki token decode " SWARMPKI_OLD_WORKER_TOKEN "\n"
      "  docker swarm join-token -q worker | swarmpki token decode - --format json\n"
      "  swarmpki token decode --token-file <(docker swarm join-token -q manager)\n"
      "  { docker swarm join-token -q worker; docker swarm join-token -q manager; } |\n"
      "      swarmpki token decode - --format jsonl",
      "  0  decoded    3  malformed token (in a batch: any line)    64  usage error"},
     decode_options,
     "token",
     run_token_decode},
    {"verify",
     "does the token pin this root file (exact bytes)",
     {"swarmpki token verify (TOKEN | - | --token-file F) (--ca FILE | --dir DIR) "
      "[--format text|json]",
      "Would a node joining with this token accept this root? Compares the token's digest with "
      "the SHA-256 of the root file's exact bytes, in constant time, as the joining node does. "
      "On a mismatch it says what would match (LF instead of CRLF, with or without the trailing "
      "newline, a single certificate, the PEM re-encoding, the DER), whether the file is a node "
      "certificate, not a root, and when the digests differ in one character, that the token "
      "was mistyped. Offline only the digest can be checked: a match does not say that the "
      "cluster still accepts the token's secret (after `docker swarm join-token --rotate` it "
      "does not).",
      "  swarmpki token verify \"$(docker swarm join-token -q worker)\" \\\n"
      "      --dir /var/lib/docker/swarm/certificates\n"
      "  swarmpki token verify " SWARMPKI_OLD_WORKER_TOKEN " \\\n"
      "      --ca /var/lib/docker/swarm/certificates/swarm-root-ca.crt --format json\n"
      "  swarmpki token verify --token-file <(docker swarm join-token -q manager) \\\n"
      "      --dir /var/lib/docker/swarm/certificates",
      "  0  the token pins this root    2  mismatch    3  bad token or unreadable file\n"
      "  64  usage error"},
     verify_options,
     "token",
     run_token_verify},
    {"generate",
     "a new token for a root, the engine's way",
     {"swarmpki token generate (--ca FILE | --dir DIR) [--fips] [--format text|json]",
      "Makes a new join token for that root the way the engine does: the SHA-256 of the file's "
      "exact bytes as 50 base-36 characters, and 16 bytes from OpenSSL's CSPRNG as 25. The "
      "token (with its secret) is printed: that is the point. A cluster only accepts tokens it "
      "stores itself; this is for tests and labs.",
      "  swarmpki token generate --ca /var/lib/docker/swarm/certificates/swarm-root-ca.crt\n"
      "  swarmpki token generate --dir /var/lib/docker/swarm/certificates --fips --format json",
      "  0  token printed    3  unreadable file or not a root bundle    64  usage error"},
     generate_options,
     nullptr,
     run_token_generate},
};

constexpr CommandGroup kToken{
    "token",
    "Decode, verify or generate Docker Swarm join tokens (SWMTKN-1-<digest>-<secret>). The "
    "digest pins the swarm's root CA: the SHA-256 of swarm-root-ca.crt's exact bytes. The "
    "secret is never printed unless asked for (decode --show-secret, generate).",
    kSubcommands,
    "  swarmpki token decode \"$(docker swarm join-token -q worker)\"\n"
    "  swarmpki token verify \"$(docker swarm join-token -q worker)\" \\\n"
    "      --dir /var/lib/docker/swarm/certificates\n"
    "  swarmpki token generate --dir /var/lib/docker/swarm/certificates",
    "  0  ok (decode: decoded; verify: the token pins the root; generate: printed)\n"
    "  2  verify: mismatch    3  malformed token or unreadable file    64  usage error"};

#undef SWARMPKI_OLD_WORKER_TOKEN

}  // namespace

ExitCode run_token(const Args& args) { return run_group(kToken, args); }

}  // namespace swarmpki::cli
