// What the webhook client asks of the kernel about its own sockets. Kept apart from the HTTP
// client: <linux/tcp.h>, which has TCP_INFO's byte counters, clashes with <netinet/tcp.h>,
// which cpp-httplib includes.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/webhook_socket.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include <cstdint>
#include <optional>

namespace swarmpki::webhook_detail {

// Bytes the kernel has received on this TCP socket so far; nullopt where it cannot say.
std::optional<std::uint64_t> tcp_bytes_received(int socket);

// A small receive buffer, set before connect, keeps that count close to what the reader has
// actually consumed (the kernel cannot run far ahead of it).
void shrink_receive_buffer(int socket, int bytes);

}  // namespace swarmpki::webhook_detail
