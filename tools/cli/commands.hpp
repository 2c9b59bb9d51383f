// Entry points of the subcommands; each lives in its own cmd_<name>.cpp.
#pragma once

#include "command.hpp"

namespace swarmpki::cli {

int run_inspect(const Args& args);
int run_token(const Args& args);   // decode | verify | generate
int run_ca(const Args& args);      // init | issue | cross-sign
int run_rotate(const Args& args);  // simulate
int run_expiry(const Args& args);
int run_verify(const Args& args);

// `swarmpki-serve` (libexec) runs serve and notify: libssl and cpp-httplib stay out of every
// other command's start-up. In `swarmpki` these two replace the process with it...
int exec_serve(const Args& args);
int exec_notify(const Args& args);
// ...and in `swarmpki-serve` these do the work.
int run_serve(const Args& args);
int run_notify(const Args& args);

}  // namespace swarmpki::cli
