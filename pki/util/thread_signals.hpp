// Signal masks for the library's own threads.
#pragma once

// Util layer (1): includable from every layer.

namespace swarmpki {

// A peer that disconnects mid-write makes the next write raise SIGPIPE, which kills the process
// by default. Blocking it on the threads that write to sockets (the HTTP listener, whose
// connection pool inherits its mask, and the webhook sender) turns that into an EPIPE on the one
// connection. The library leaves the process-wide disposition to the program.
void block_sigpipe_on_this_thread();

}  // namespace swarmpki
