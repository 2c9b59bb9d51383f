// swarmpki rotate status (SPEC section 9, docs/rotation-status.md): the rotation as the cluster
// report decides it, once or followed with --watch. Parse, watch (pki/service/rotation_watch),
// render each change the way stdout takes it, exit by the rotation_status rule. Only
// swarmpki-serve asks the engine (rotate_seam.hpp).
#include "commands.hpp"
#include "rotate_seam.hpp"

#include "swarmpki/engine_client.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/rotation_status_render.hpp"
#include "swarmpki/rotation_watch.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string_view>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json|jsonl";

Seconds duration_option(const po::variables_map& vm, const char* name, Seconds least) {
    const std::string& text = vm[name].as<std::string>();
    std::optional<Seconds> value = parse_duration(text);
    if (!value)
        throw UsageError(std::string("--") + name + " '" + text +
                         "' is not a duration (like 1s, 20s, 10m)");
    if (*value < least)
        throw UsageError(std::string("--") + name + " must be at least " + format_duration(least));
    return *value;
}

// The progress bar redraws in place with ANSI sequences: only on a terminal that has them.
bool draws_in_place(const CommonOptions& common) {
    const char* term = std::getenv("TERM");
    return common.format == "text" && ::isatty(STDOUT_FILENO) == 1 &&
           (term == nullptr || std::string_view(term) != "dumb");
}

std::size_t terminal_width() {
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

std::string rendered(const CommonOptions& common, const RotationStatus& status, bool watch) {
    if (common.format == "json") return render_rotation_status_json(status);
    if (common.format == "jsonl") return render_rotation_status_jsonl(status);
    if (watch) return render_rotation_status_line(status);
    return render_rotation_status_text(status, common.color ? TextColor::yes : TextColor::no);
}

}  // namespace

ExitCode run_rotate_status(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, kFormats);
    RotationWatchOptions options;
    options.watch = vm.count("watch") > 0;
    for (const char* name : {"timeout", "interval"})
        if (vm.count(name) && !options.watch)
            throw UsageError(std::string("--") + name + " needs --watch");
    if (vm.count("at") && options.watch)
        throw UsageError("--at evaluates one report as of an instant; a watch follows the clock");
    if (vm.count("at")) options.at = common.now;
    if (vm.count("timeout")) options.timeout = duration_option(vm, "timeout", Seconds(0));
    if (vm.count("interval")) options.interval = duration_option(vm, "interval", Seconds(1));
    std::optional<std::string> host;
    if (vm.count("host")) host = vm["host"].as<std::string>();

    EngineClient client(resolve_engine_endpoint(host, EngineEnvironment::from_process()));
    const bool streams = options.watch && !common.quiet && common.format != "json";
    std::optional<RotationStatusTerminal> terminal;
    if (streams && draws_in_place(common))
        terminal.emplace(common.color ? TextColor::yes : TextColor::no, terminal_width());

    RotationWatchResult result = watch_rotation(
        client, options, WatchClock::real(),
        [&](const RotationStatus& status, bool changed, Seconds elapsed) {
            if (terminal) write_stdout(terminal->draw(status, elapsed));  // elapsed ticks
            else if (streams && changed) write_stdout(rendered(common, status, true));
        });
    if (terminal) write_stdout(terminal->finish());
    else if (!streams && prints_result(common, result.exit_code))
        write_stdout(rendered(common, result.last, options.watch));
    std::string why = rotation_status_end_message(result.last, result.end, result.elapsed);
    if (!why.empty()) std::cerr << "swarmpki: " << why << "\n";
    return result.exit_code;
}

}  // namespace swarmpki::cli
