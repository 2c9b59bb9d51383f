#include "socket_guard.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>

namespace swarmpki::service_detail {

SocketGuard::SocketGuard(Clock::time_point deadline, Limit limit)
    : deadline_(deadline), limit_(std::move(limit)), thread_([this] { watch(); }) {}

SocketGuard::~SocketGuard() {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void SocketGuard::adopt(int socket) {
    std::lock_guard lock(mutex_);
    Fd copy(::fcntl(socket, F_DUPFD_CLOEXEC, 0));
    if (copy.get() < 0 || cut_ != Cut::no) ::shutdown(socket, SHUT_RDWR);
    if (copy.get() >= 0) sockets_.push_back(std::move(copy));
}

void SocketGuard::abort() {
    std::lock_guard lock(mutex_);
    fire(Cut::stopping);
}

SocketGuard::Cut SocketGuard::cut() const {
    std::lock_guard lock(mutex_);
    // Past the deadline is the deadline's doing even when the watcher, late on a loaded machine,
    // has not fired yet: the exchange's own read timeout (no shorter than the deadline, started
    // after it was set) ended it first, and that is not a peer that closed or spoke nonsense.
    if (cut_ == Cut::no && Clock::now() >= deadline_) return Cut::deadline;
    return cut_;
}

void SocketGuard::watch() {
    std::unique_lock lock(mutex_);
    while (!done_) {
        auto now = Clock::now();
        if (cut_ == Cut::no && now >= deadline_) fire(Cut::deadline);
        else if (cut_ == Cut::no && limit_ && limit_(sockets_)) fire(Cut::limit);
        // Shutting down a socket that is not yet connecting does not stop it from connecting
        // afterwards: once cut, the guard shuts them all down again every period.
        else if (cut_ != Cut::no) shut_down_all();
        auto next = now + kPeriod;
        // Without a limit there is nothing to look at before the deadline.
        auto until = cut_ != Cut::no ? next : limit_ ? std::min(deadline_, next) : deadline_;
        wake_.wait_until(lock, until);
    }
}

void SocketGuard::fire(Cut why) {
    if (cut_ != Cut::no) return;
    cut_ = why;
    shut_down_all();
}

void SocketGuard::shut_down_all() {
    for (const Fd& fd : sockets_) ::shutdown(fd.get(), SHUT_RDWR);
}

}  // namespace swarmpki::service_detail
