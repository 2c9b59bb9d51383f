// `rotate status` and `rotate simulate --engine|--host` ask the engine, which only swarmpki-serve
// can (engine_seam.hpp says why). cmd_rotate.cpp is compiled into both binaries with one table,
// so help and parsing are the same in each; what differs is this seam, defined once per binary:
// in `swarmpki` (tools/swarmpki/rotate_seam_exec.cpp) hand_rotate_to_helper re-runs the whole
// `rotate` invocation in swarmpki-serve (exec: same PID, streams and exit code); in swarmpki-serve
// (tools/swarmpki-serve/rotate_seam_run.cpp) it returns and the command runs there.
#pragma once

#include "command.hpp"

#include "swarmpki/rotation.hpp"

#include <string_view>

namespace swarmpki::cli {

// Whether `args` (the `rotate` group's arguments, subcommand first) ask the engine: `status`, or
// `simulate` with --engine or --host. Help of either is asked there too, so it lists the same.
inline bool rotate_asks_engine(const Args& args) {
    if (args.empty()) return false;
    if (args.front() == "status") return true;
    if (args.front() != "simulate") return false;
    for (const std::string& arg : args) {
        if (arg == "--") break;
        std::string_view a(arg);
        if (a == "--engine" || a == "--host" || a.rfind("--host=", 0) == 0) return true;
    }
    return false;
}

// In `swarmpki`: does not return (or throws an Error naming the helper). In swarmpki-serve:
// returns at once.
void hand_rotate_to_helper(const Args& args);

// `rotate simulate --engine|--host`: the rehearsal on the real cluster, `options` as the
// operator gave them (vm holds --host and whether --cert-expiry was given). Defined in
// swarmpki-serve (rotate_simulate_engine.cpp); in `swarmpki` (reached only through an
// abbreviation the seam does not recognise) it throws an Error naming the flags to spell out.
RotationReport simulate_on_engine(const po::variables_map& vm, RotationOptions options);

// `rotate status`, which asks the engine: defined in swarmpki-serve
// (tools/swarmpki-serve/rotate_status.cpp); in `swarmpki` a definition that throws, never reached
// since `status` is handed over before it is parsed.
ExitCode run_rotate_status(const po::variables_map& vm);

}  // namespace swarmpki::cli
