// The listening address: parsing ADDR:PORT and deciding what counts as loopback.
#include "swarmpki/error.hpp"
#include "swarmpki/serve.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace swarmpki {

ListenAddress parse_listen_address(std::string_view text) {
    auto bad = [&](const char* why) {
        return UsageError("--listen '" + std::string(text) + "': " + why +
                          " (use ADDR:PORT, like 127.0.0.1:9323 or [::1]:9323)");
    };
    ListenAddress address;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw bad("an IPv6 address needs [brackets] and a port");
        address.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) throw bad("no port");
        address.host = std::string(text.substr(0, colon));
        if (address.host.find(':') != std::string::npos)
            throw bad("an IPv6 address needs [brackets]");
        port_text = text.substr(colon + 1);
        if (address.host.empty()) address.host = "0.0.0.0";
    }
    int port = -1;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535)
        throw bad("the port must be a number from 0 to 65535");
    address.port = port;
    return address;
}

bool is_loopback_host(std::string_view host) {
    if (host == "localhost") return true;
    std::string text(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

}  // namespace swarmpki
