// A fault-injecting Docker engine on a unix socket, for the engine client's tests: a thread that
// accepts one connection at a time in its own temporary directory and answers each request with
// a canned exchange, by default a fixture capture byte for byte (fixtures/engine-api: the status
// line and headers of `NAME.headers`, the body of `NAME.json`, re-chunked when the capture says
// Transfer-Encoding: chunked), or with a fault: a body cut short, a drip of one byte per period,
// garbage instead of HTTP. Like dockerd it answers 400 "malformed Host header" to a Host that
// holds a '/'. The HTTP here is written by hand on purpose: a packaged server cannot misbehave.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace swarmpki::test {

enum class FakeFault {
    none,
    truncate_body,  // the head and half the body, then close
    drip,           // the whole exchange, one byte per drip period
    garbage,        // bytes that are no HTTP response, then close
    stall,          // nothing at all, until the client gives up
};

struct FakeReply {
    std::string head;  // status line and headers, LF or CRLF, as a .headers capture holds them
    std::string body;
    FakeFault fault = FakeFault::none;
};

// A capture: DIR/NAME.headers and DIR/NAME.json.
FakeReply capture_reply(const std::filesystem::path& dir, const std::string& name);
// A JSON reply with the engine's usual headers; chunked or with a Content-Length.
enum class Framing { length, chunked, until_close };
FakeReply json_reply(int status, std::string body, Framing framing = Framing::length,
                     const std::string& api_version = "1.41");

struct SeenRequest {
    std::string method, path, host;
};

class FakeEngine {
public:
    FakeEngine();
    ~FakeEngine();
    FakeEngine(const FakeEngine&) = delete;
    FakeEngine& operator=(const FakeEngine&) = delete;

    const std::string& socket_path() const { return socket_path_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string url() const { return "unix://" + socket_path_; }

    // Routes are paths without the /vX.Y prefix: "/_ping", "/info", "/swarm", "/nodes".
    void set(const std::string& route, FakeReply reply);
    // Every NAME.headers + NAME.json of a capture directory; "ping" serves /_ping. A capture
    // without ping (a worker's, a stranger's) gets the healthy manager's.
    void load_capture(const std::filesystem::path& dir);
    void set_drip_period(std::chrono::milliseconds period) { drip_period_ = period; }

    std::vector<SeenRequest> requests() const;

private:
    void serve();
    void answer(int connection);
    std::optional<FakeReply> route(const std::string& path);

    std::filesystem::path dir_;
    std::string socket_path_;
    int listener_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<std::chrono::milliseconds> drip_period_{std::chrono::milliseconds(200)};
    mutable std::mutex mutex_;
    std::map<std::string, FakeReply> routes_;
    std::vector<SeenRequest> seen_;
    std::thread thread_;
};

}  // namespace swarmpki::test
