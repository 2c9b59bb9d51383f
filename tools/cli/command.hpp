// The command layer's shared pieces: the command table entry, common options, and output.
//
// Commands are thin: parse flags (Boost.Program_options), call the library, render, return an
// exit code. Every command declares its flags as data in its own file, so help and parsing
// cannot drift.
#pragma once

#include "swarmpki/error.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki::cli {

namespace po = boost::program_options;

using Args = std::vector<std::string>;

struct Command {
    const char* name;
    const char* summary;
    ExitCode (*run)(const Args& args);
};

// Options every command shares: --format, --at, --no-color, --quiet, --help.
struct CommonOptions {
    std::string format = "text";
    Instant now{};
    bool color = false;  // only on a terminal, and never with --no-color or NO_COLOR
    bool quiet = false;
};

// `at_help` says what --at means for the command: most evaluate as of it, `ca` and `rotate
// simulate` issue certificates as of it.
inline constexpr const char* kEvaluateAtHelp =
    "evaluate as of this RFC 3339 instant instead of now";
void add_common_options(po::options_description& options, const char* formats,
                        const char* at_help = kEvaluateAtHelp);

// Parses argv into `vm` (positional names as given); throws UsageError on bad flags.
po::variables_map parse_args(const Args& args, const po::options_description& options,
                             const po::positional_options_description& positional = {});

// Whether NO_COLOR and TERM leave colour on (the terminal and --no-color are checked apart).
bool colour_allowed_by_environment();

// Reads the shared options; `allowed_formats` like "text|json|jsonl".
CommonOptions read_common(const po::variables_map& vm, const char* allowed_formats);

// Help text: usage line, description, options, then EXAMPLES and EXIT CODES. The description
// may be written as one line a paragraph: print_help wraps it (and the usage line) at
// kHelpWidth. Every EXAMPLES line must run as written (tests/test_cli_help.cpp runs them).
struct HelpText {
    const char* usage;
    const char* description;
    const char* examples;
    const char* exit_codes;
};
inline constexpr std::size_t kHelpWidth = 92;
void print_help(const HelpText& help, const po::options_description& options,
                std::ostream& out = std::cout);
bool wants_help(const po::variables_map& vm);

// "usage: " and the synopsis, broken between its top-level words to fit kHelpWidth.
std::string usage_line(std::string_view usage);

// Lines of `text` longer than `width` broken at spaces; the continuation lines start with
// `indent`. Shorter lines are kept as they are.
std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent = {});

// A subcommand of `token`, `ca` or `rotate`, declared as data: the entry that runs it also holds
// its flags and its help, so the two cannot drift, and the group's help lists it.
struct Subcommand {
    const char* name;
    const char* summary;  // one line in the group's help
    HelpText help;
    po::options_description (*options)();  // its flags (add_common_options included)
    const char* operand;  // the option a bare word on the command line fills, or nullptr
    ExitCode (*run)(const po::variables_map& vm);
};

struct CommandGroup {
    const char* name;  // "token"
    const char* description;
    std::span<const Subcommand> subcommands;
    const char* examples;
    const char* exit_codes;
};

// Runs a group's subcommand, `args` starting with its name. Help behaves as the top level's:
// `--help`, `-h` or `help` prints the group's help on stdout and exits 0; no subcommand prints
// it on stderr and exits 64. A subcommand's `--help` prints its own help on stdout, exit 0.
// A usage error inside a subcommand is a ScopedUsageError naming it, so the message points at
// that subcommand's --help.
ExitCode run_group(const CommandGroup& group, const Args& args);

class ScopedUsageError : public UsageError {
public:
    ScopedUsageError(std::string command, const std::string& message)
        : UsageError(message), command_(std::move(command)) {}
    const std::string& command() const { return command_; }  // "token decode"

private:
    std::string command_;
};

// "  name      summary" lines, names padded to one column, as the top level and groups list them.
template <typename Entries>
void print_summaries(std::ostream& out, const Entries& entries) {
    std::size_t width = 8;  // names up to 8 characters share one column, as they always have
    for (const auto& e : entries) width = std::max(width, std::string_view(e.name).size());
    for (const auto& e : entries)
        out << "  " << e.name << std::string(width + 2 - std::string_view(e.name).size(), ' ')
            << e.summary << "\n";
}

inline constexpr const char* kStandardExitCodes =
    "  0  ok    1  warning    2  critical    3  could not evaluate (bad input)    64  usage error";

// Writes the whole document at once, so a failure never leaves half a document on stdout.
void write_stdout(const std::string& document);

// The unlock key from --unlock-key-file, --unlock-key-stdin or SWARMPKI_UNLOCK_KEY, in that
// order of preference; `--unlock-key` on the command line works with a warning (visible in ps).
// Any of them first makes the process non-dumpable with no core limit. The file (a FIFO too) and
// standard input are read up to kSecretReadLimit (4 KiB; stdin: its first line) and refused
// beyond; a file others can read or change gives a one-line warning on stderr.
void add_unlock_key_options(po::options_description& options);
std::optional<std::string> read_unlock_key_text(const po::variables_map& vm);

// The -q rule, the same in every command: nothing on success, the whole result whenever the exit
// code is not 0 (a quiet run that fails still says why, and Nagios still gets its line).
inline bool prints_result(const CommonOptions& common, ExitCode code) {
    return !common.quiet || code != ExitCode::ok;
}

}  // namespace swarmpki::cli
