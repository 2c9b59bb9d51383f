// The command layer's shared pieces: the command table entry, common options, and output.
//
// Commands are thin: parse flags (Boost.Program_options), call the library, render, return an
// exit code. Every command declares its flags as data in its own file, so help and parsing
// cannot drift.
#pragma once

#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <boost/program_options.hpp>

#include <optional>
#include <string>
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

void add_common_options(po::options_description& options, const char* formats);

// Parses argv into `vm` (positional names as given); throws UsageError on bad flags.
po::variables_map parse_args(const Args& args, const po::options_description& options,
                             const po::positional_options_description& positional = {});

// Whether NO_COLOR and TERM leave colour on (the terminal and --no-color are checked apart).
bool colour_allowed_by_environment();

// Reads the shared options; `allowed_formats` like "text|json|jsonl".
CommonOptions read_common(const po::variables_map& vm, const char* allowed_formats);

// Help text: usage line, description, options, then EXAMPLES and EXIT CODES.
struct HelpText {
    const char* usage;
    const char* description;
    const char* examples;
    const char* exit_codes;
};
void print_help(const HelpText& help, const po::options_description& options);
bool wants_help(const po::variables_map& vm);

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
