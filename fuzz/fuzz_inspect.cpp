// Fuzzes whole-directory inspection. The input is the three files of a node directory separated
// by a line "%%" (root bundle, node certificate, key); they are written to a private temporary
// directory and inspected, then rendered as JSON and text. Checks: never a throw, an error is one
// line, the JSON starts with the schema member and ends with a newline, and nothing of the key
// text's base64 body shows up in either rendering.
#include "swarmpki/inspect.hpp"
#include "swarmpki/inspect_render.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace {

const char* const kFiles[] = {"swarm-root-ca.crt", "swarm-node.crt", "swarm-node.key"};

const std::string& fuzz_dir();

// libFuzzer ends with exit(): take the scratch directory with it.
void remove_fuzz_dir() {
    for (const char* name : kFiles) std::remove((fuzz_dir() + "/" + name).c_str());
    ::rmdir(fuzz_dir().c_str());
}

const std::string& fuzz_dir() {
    static const std::string dir = [] {
        char pattern[] = "/tmp/swarmpki-fuzz-inspect-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) std::abort();
        return std::string(pattern);
    }();
    static const bool cleanup_registered = std::atexit(remove_fuzz_dir) == 0;
    (void)cleanup_registered;
    return dir;
}

void write(const std::string& path, std::string_view bytes) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) std::abort();
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
}

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    constexpr std::string_view separator = "\n%%\n";
    while (parts.size() < 2) {
        std::size_t at = text.find(separator);
        if (at == std::string_view::npos) break;
        parts.push_back(text.substr(0, at));
        text.remove_prefix(at + separator.size());
    }
    parts.push_back(text);
    while (parts.size() < 3) parts.emplace_back();
    return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> files = split(input);
    const std::string& dir = fuzz_dir();
    for (std::size_t i = 0; i < 3; ++i) write(dir + "/" + kFiles[i], files[i]);

    const swarmpki::Instant now = swarmpki::from_unix_seconds(1795906447);  // 2026-11-28
    swarmpki::InspectReport report = swarmpki::inspect_nodes({dir}, {}, now);
    const swarmpki::NodeReport& node = report.nodes.at(0);
    if (node.error && node.error->find('\n') != std::string::npos) std::abort();
    // One exit rule (run_verdict): a node that could not be read entirely is unknown, unless
    // what could be read already shows a warning or a critical finding; never ok.
    if (node.error) {
        swarmpki::Severity found = swarmpki::worst_severity(node.findings);
        bool decided = found == swarmpki::Severity::warning ||
                       found == swarmpki::Severity::critical;
        if (node.severity != (decided ? found : swarmpki::Severity::unknown)) std::abort();
    }
    std::string json = swarmpki::render_inspect_json(report);
    if (json.rfind("{\n  \"schema\": \"swarmpki.inspect/v1\"", 0) != 0 || json.back() != '\n')
        std::abort();
    std::string text = swarmpki::render_inspect_text(report, swarmpki::TextColor::no);

    // A base64 line of the key body (64 characters as PEM writes them) must not be echoed.
    std::string_view key = files[2];
    std::size_t begin = key.find("-----BEGIN");
    std::size_t body = begin == std::string_view::npos ? begin : key.find("\n\n", begin);
    if (body != std::string_view::npos && key.size() > body + 2 + 64) {
        std::string_view line = key.substr(body + 2, 64);
        if (line.find('\n') == std::string_view::npos && line.find('-') == std::string_view::npos &&
            (json.find(line) != std::string::npos || text.find(line) != std::string::npos))
            std::abort();
    }
    return 0;
}
