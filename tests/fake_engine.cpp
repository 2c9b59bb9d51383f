#include "fake_engine.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace swarmpki::test {

namespace {

constexpr std::size_t kMaxRequestBytes = 64 * 1024;
constexpr std::size_t kChunkBytes = 1000;  // several chunks for every capture that is chunked

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("fake engine: cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The capture's lines with CRLF endings, and the blank line that ends a head.
std::string crlf_head(const std::string& head) {
    std::string out;
    std::istringstream lines(head);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;
        out += line + "\r\n";
    }
    return out + "\r\n";
}

bool says_chunked(const std::string& head) {
    return head.find("Transfer-Encoding: chunked") != std::string::npos;
}

std::string chunked(const std::string& body) {
    std::string out;
    for (std::size_t at = 0; at < body.size(); at += kChunkBytes) {
        std::string piece = body.substr(at, kChunkBytes);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        out += size + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
}

// Sends all of it; false once the peer is gone.
bool send_all(int connection, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string header_value(const std::string& request, const std::string& name) {
    std::istringstream lines(request);
    std::string line;
    std::getline(lines, line);  // the request line
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        if (strncasecmp(line.c_str(), name.c_str(), name.size()) != 0 || colon != name.size())
            continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        return value;
    }
    return {};
}

// dockerd's (Go net/http's) own answer to a Host header it cannot parse.
constexpr std::string_view kMalformedHost =
    "HTTP/1.1 400 Bad Request: malformed Host header\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
    "400 Bad Request: malformed Host header";

}  // namespace

FakeReply capture_reply(const fs::path& dir, const std::string& name) {
    return {read_file(dir / (name + ".headers")), read_file(dir / (name + ".json"))};
}

FakeReply json_reply(int status, std::string body, Framing framing,
                     const std::string& api_version) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                       "\nApi-Version: " + api_version +
                       "\nContent-Type: application/json\nServer: Docker/99.0.0 (linux)\n";
    if (framing == Framing::chunked) head += "Transfer-Encoding: chunked\n";
    if (framing == Framing::length) head += "Content-Length: " + std::to_string(body.size()) + "\n";
    return {head + "\n", std::move(body)};
}

FakeEngine::FakeEngine() {
    std::string pattern = (fs::temp_directory_path() / "swarmpki-fake-engine-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("fake engine: mkdtemp");
    dir_ = pattern;
    socket_path_ = (dir_ / "docker.sock").string();
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path_.c_str(), sizeof address.sun_path - 1);
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0)
        throw std::runtime_error("fake engine: cannot listen on " + socket_path_);
    thread_ = std::thread([this] { serve(); });
}

FakeEngine::~FakeEngine() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);  // a test may have locked it
    fs::remove_all(dir_, ignored);
}

void FakeEngine::set(const std::string& route, FakeReply reply) {
    std::lock_guard lock(mutex_);
    routes_[route] = std::move(reply);
}

void FakeEngine::load_capture(const fs::path& dir) {
    if (!fs::exists(dir / "ping.headers"))
        set("/_ping",
            capture_reply(dir.parent_path().parent_path() / "healthy" / "manager1", "ping"));
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".headers") continue;
        std::string name = entry.path().stem().string();
        set(name == "ping" ? "/_ping" : "/" + name, capture_reply(dir, name));
    }
}

std::vector<SeenRequest> FakeEngine::requests() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

std::optional<FakeReply> FakeEngine::route(const std::string& path) {
    std::string route = path;
    // "/v1.41/info" -> "/info"
    if (route.size() > 2 && route[1] == 'v') {
        auto slash = route.find('/', 1);
        if (slash != std::string::npos) route = route.substr(slash);
    }
    std::lock_guard lock(mutex_);
    auto found = routes_.find(route);
    if (found == routes_.end()) return std::nullopt;
    return found->second;
}

void FakeEngine::serve() {
    while (!stopping_) {
        pollfd waiting{listener_, POLLIN, 0};
        if (::poll(&waiting, 1, 20) <= 0) continue;
        int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) continue;
        answer(connection);
        ::close(connection);
    }
}

void FakeEngine::answer(int connection) {
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
        pollfd readable{connection, POLLIN, 0};
        if (stopping_) return;
        if (::poll(&readable, 1, 20) <= 0) continue;
        char buffer[4096];
        ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        request.append(buffer, static_cast<std::size_t>(n));
    }
    std::istringstream line(request.substr(0, request.find("\r\n")));
    SeenRequest seen;
    line >> seen.method >> seen.path;
    seen.host = header_value(request, "Host");
    {
        std::lock_guard lock(mutex_);
        seen_.push_back(seen);
    }
    if (seen.host.find('/') != std::string::npos) {
        send_all(connection, kMalformedHost);
        return;
    }
    auto reply = route(seen.path);
    if (!reply)
        reply = json_reply(404, R"({"message":"page not found"})"
                                "\n");
    std::string head = crlf_head(reply->head);
    std::string body = says_chunked(head) ? chunked(reply->body) : reply->body;
    switch (reply->fault) {
        case FakeFault::none: send_all(connection, head + body); return;
        case FakeFault::truncate_body:
            send_all(connection, head + body.substr(0, body.size() / 2));
            return;
        case FakeFault::garbage:
            send_all(connection, "SSH-2.0-OpenSSH_9.2p1\r\n\x01\x02\xff garbage\r\n\r\n");
            return;
        case FakeFault::stall:
            while (!stopping_) {
                pollfd gone{connection, POLLIN, 0};
                char byte;
                if (::poll(&gone, 1, 20) > 0 && ::recv(connection, &byte, 1, 0) <= 0) return;
            }
            return;
        case FakeFault::drip:
            for (char c : head + body) {
                if (stopping_ || !send_all(connection, std::string_view(&c, 1))) return;
                auto until = std::chrono::steady_clock::now() + drip_period_.load();
                while (!stopping_ && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            return;
    }
}

}  // namespace swarmpki::test
