// TCP_INFO for the webhook client's byte budget (see webhook_socket.hpp for why it is apart).
#include "webhook_socket.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace swarmpki::webhook_detail {

std::optional<std::uint64_t> tcp_bytes_received(int socket) {
    tcp_info info{};
    socklen_t size = sizeof info;
    if (::getsockopt(socket, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return std::nullopt;
    // Kernels before 4.1 return a shorter struct without the counter.
    if (size < offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
        return std::nullopt;
    return info.tcpi_bytes_received;
}

void shrink_receive_buffer(int socket, int bytes) {
    ::setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

}  // namespace swarmpki::webhook_detail
