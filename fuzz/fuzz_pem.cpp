// Fuzzes the PEM reader with RFC 1421 headers. Beyond "no crash, no UB": a refusal carries a
// one-line problem; an accepted bundle has at least one block, header names without control
// characters, `original` views inside the input, and every block's DER survives a canonical
// re-encoding.
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool plain_type(const std::string& type) {
    if (type.empty() || type.size() > 64) return false;
    for (char c : type)
        if (!((c >= 'A' && c <= 'Z') || c == ' ' || (c >= '0' && c <= '9'))) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    swarmpki::PemParseResult parsed = swarmpki::parse_pem(text);
    if (!parsed.bundle) {
        if (parsed.problem.message.empty()) std::abort();
        if (parsed.problem.message.find('\n') != std::string::npos) std::abort();
        return 0;
    }
    if (parsed.bundle->blocks.empty()) std::abort();
    for (const swarmpki::PemBlock& block : parsed.bundle->blocks) {
        if (block.der.empty()) std::abort();
        if (block.original.data() < text.data() ||
            block.original.data() + block.original.size() > text.data() + text.size())
            std::abort();
        for (const std::string& name : block.header_names())
            for (char c : name)
                if (static_cast<unsigned char>(c) < 0x21) std::abort();
        swarmpki::KeyFileFacts facts = swarmpki::describe_key_block(block);
        if (facts.header_names != block.header_names()) std::abort();
        if (!plain_type(block.type)) continue;
        std::string again = swarmpki::encode_pem(block.type, block.der);
        swarmpki::PemParseResult reparsed = swarmpki::parse_pem(again);
        if (!reparsed.bundle || reparsed.bundle->blocks.size() != 1 ||
            reparsed.bundle->blocks[0].der != block.der ||
            reparsed.bundle->blocks[0].type != block.type)
            std::abort();
    }
    return 0;
}
