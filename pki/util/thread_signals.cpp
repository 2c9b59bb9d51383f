#include "thread_signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace swarmpki {

void block_sigpipe_on_this_thread() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

}  // namespace swarmpki
