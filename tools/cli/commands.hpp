// Entry points of the subcommands; each lives in its own cmd_<name>.cpp.
#pragma once

#include "command.hpp"

namespace swarmpki::cli {

ExitCode run_inspect(const Args& args);
ExitCode run_token(const Args& args);   // decode | verify | generate
ExitCode run_ca(const Args& args);      // init | issue | cross-sign
ExitCode run_rotate(const Args& args);  // simulate
ExitCode run_expiry(const Args& args);
ExitCode run_verify(const Args& args);

// `swarmpki-serve` (libexec) runs serve, notify and cluster, and inspect and expiry when they ask
// the engine (engine_seam.hpp): libssl and cpp-httplib stay out of every
// other command's start-up. In `swarmpki` these two replace the process with it...
ExitCode exec_serve(const Args& args);
ExitCode exec_notify(const Args& args);
ExitCode exec_cluster(const Args& args);
// ...and in `swarmpki-serve` these do the work.
ExitCode run_serve(const Args& args);
ExitCode run_notify(const Args& args);
ExitCode run_cluster(const Args& args);

// Replaces this process with swarmpki-serve running `command args` (the same PID, streams and
// exit code); returns only by throwing an Error. In `swarmpki` only.
ExitCode exec_helper(const char* command, const Args& args);

}  // namespace swarmpki::cli
