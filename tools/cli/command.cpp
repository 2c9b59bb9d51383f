#include "command.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

namespace swarmpki::cli {

void add_common_options(po::options_description& options, const char* formats,
                        const char* at_help) {
    options.add_options()("format", po::value<std::string>()->default_value("text"), formats)(
        "at", po::value<std::string>(), at_help)("no-color", "never colour the output")(
        "quiet,q", "print nothing on success; the exit code tells")("help,h", "show this help");
}

po::variables_map parse_args(const Args& args, const po::options_description& options,
                             const po::positional_options_description& positional) {
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    return vm;
}

namespace {
bool format_allowed(const std::string& format, std::string_view allowed) {
    std::size_t start = 0;
    while (start <= allowed.size()) {
        std::size_t bar = allowed.find('|', start);
        std::string_view one = allowed.substr(start, bar == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : bar - start);
        if (one == format) return true;
        if (bar == std::string_view::npos) break;
        start = bar + 1;
    }
    return false;
}
}  // namespace

// no-color.org: NO_COLOR disables colour only when it is set and non-empty; a dumb terminal
// cannot show escape sequences at all.
bool colour_allowed_by_environment() {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    const char* term = std::getenv("TERM");
    return term == nullptr || std::string_view(term) != "dumb";
}

CommonOptions read_common(const po::variables_map& vm, const char* allowed_formats) {
    CommonOptions common;
    common.format = vm["format"].as<std::string>();
    if (!format_allowed(common.format, allowed_formats))
        throw UsageError("--format must be one of " + std::string(allowed_formats) + ", not '" +
                         common.format + "'");
    common.now = wall_clock_now();
    if (vm.count("at")) {
        auto at = parse_rfc3339(vm["at"].as<std::string>());
        if (!at)
            throw UsageError("--at '" + vm["at"].as<std::string>() +
                             "' is not an RFC 3339 time (like 2027-02-26T22:58:00Z)");
        common.now = *at;
    }
    common.quiet = vm.count("quiet") > 0;
    common.color = !vm.count("no-color") && colour_allowed_by_environment() &&
                   ::isatty(STDOUT_FILENO) == 1 && common.format == "text";
    return common;
}

std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent) {
    std::string out;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        std::string_view lead;  // what the current output line starts with
        while (lead.size() + line.size() > width) {
            // The last space that keeps the line within width; a single overlong word stays.
            std::size_t room = width - std::min(width, lead.size());
            std::size_t cut = line.rfind(' ', room);
            if (cut == std::string_view::npos || cut == 0) cut = line.find(' ', room);
            if (cut == std::string_view::npos) break;
            out.append(lead).append(line.substr(0, cut)).append("\n");
            line.remove_prefix(cut + 1);
            lead = indent;
        }
        out.append(lead).append(line);
        if (end == text.size()) break;
        out += '\n';
        start = end + 1;
    }
    return out;
}

std::string usage_line(std::string_view usage) {
    // Breaks only between the synopsis' top-level words, never inside [...] or (...), and
    // indents the continuation under the command.
    constexpr std::string_view kLead = "usage: ", kIndent = "       ";
    std::string out(kLead), line_so_far(kLead);
    std::size_t depth = 0, word_start = 0;
    auto add_word = [&](std::string_view word) {
        if (line_so_far.size() > kIndent.size() &&
            line_so_far.size() + 1 + word.size() > kHelpWidth) {
            out += "\n";
            out += kIndent;
            line_so_far = kIndent;
        } else if (line_so_far.size() > kLead.size()) {
            out += ' ';
            line_so_far += ' ';
        }
        out += word;
        line_so_far += word;
    };
    for (std::size_t i = 0; i <= usage.size(); ++i) {
        char c = i < usage.size() ? usage[i] : ' ';
        if (c == '[' || c == '(') ++depth;
        if ((c == ']' || c == ')') && depth > 0) --depth;
        if (c != ' ' || depth > 0) continue;
        if (i > word_start) add_word(usage.substr(word_start, i - word_start));
        word_start = i + 1;
    }
    return out;
}

void print_help(const HelpText& help, const po::options_description& options, std::ostream& out) {
    out << usage_line(help.usage) << "\n\n"
        << wrap_text(help.description, kHelpWidth) << "\n\n"
        << options << "\nEXAMPLES\n"
        << help.examples << "\n\nEXIT CODES\n"
        << help.exit_codes << "\n";
}

bool wants_help(const po::variables_map& vm) { return vm.count("help") > 0; }

void write_stdout(const std::string& document) {
    std::fwrite(document.data(), 1, document.size(), stdout);
    std::fflush(stdout);
}

void add_unlock_key_options(po::options_description& options) {
    options.add_options()("unlock-key-file", po::value<std::string>(),
                          "read the autolock unlock key from this file")(
        "unlock-key-stdin", "read the unlock key from standard input")(
        "unlock-key", po::value<std::string>(),
        "the unlock key itself (visible in ps: prefer the file, stdin or SWARMPKI_UNLOCK_KEY)");
}

namespace {

std::string text_of(const SecretBytes& secret) {
    return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

}  // namespace

std::optional<std::string> read_unlock_key_text(const po::variables_map& vm) {
    bool given = vm.count("unlock-key-file") || vm.count("unlock-key-stdin") ||
                 vm.count("unlock-key") || std::getenv("SWARMPKI_UNLOCK_KEY") != nullptr;
    // The unlock key is the raw KEK of every manager key in the swarm: a core dump (or a same-user
    // ptrace, or /proc/PID/mem) taken while it is in memory would hold it in the clear. So the
    // process stops being dumpable and its core limit drops to zero *before* the key is read,
    // and stays so (the key lives as long as the process, in serve).
    if (given) keep_secrets_out_of_core_dumps();
    if (vm.count("unlock-key-file")) {
        const std::string& path = vm["unlock-key-file"].as<std::string>();
        SecretFile file = read_secret_file(path, kSecretReadLimit);
        if (file.warning) std::cerr << "swarmpki: warning: " << *file.warning << "\n";
        return text_of(file.bytes);
    }
    if (vm.count("unlock-key-stdin")) {
        // The first line, and at most kSecretReadLimit bytes of it: standard input may be
        // anything (a wrong file, a stream that never ends).
        SecretBytes line = read_secret_line(STDIN_FILENO, "standard input", kSecretReadLimit);
        if (line.empty())
            throw Error("standard input", "no unlock key on standard input",
                        "pipe the key from `docker swarm unlock-key -q`");
        return text_of(line);
    }
    if (vm.count("unlock-key")) {
        std::cerr << "swarmpki: warning: an unlock key on the command line is visible to other "
                     "users in ps; prefer --unlock-key-file or SWARMPKI_UNLOCK_KEY\n";
        return vm["unlock-key"].as<std::string>();
    }
    if (const char* env = std::getenv("SWARMPKI_UNLOCK_KEY"); env && *env) return std::string(env);
    return std::nullopt;
}

}  // namespace swarmpki::cli
