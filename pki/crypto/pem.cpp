#include "swarmpki/pem.hpp"

#include "swarmpki/error.hpp"

#include <algorithm>

namespace swarmpki {

const PemHeader* PemBlock::header(std::string_view name) const {
    for (const auto& h : headers)
        if (h.name == name) return &h;
    return nullptr;
}

std::vector<std::string> PemBlock::header_names() const {
    std::vector<std::string> names;
    names.reserve(headers.size());
    for (const auto& h : headers) names.push_back(h.name);
    return names;
}

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

struct Line {
    std::string_view text;  // without the line ending
    std::size_t offset = 0;
    std::size_t end = 0;  // offset just past the line ending
    bool crlf = false;
};

class LineReader {
public:
    explicit LineReader(std::string_view text) : text_(text) {}
    bool next(Line& line) {
        if (pos_ >= text_.size()) return false;
        std::size_t nl = text_.find('\n', pos_);
        std::size_t stop = nl == std::string_view::npos ? text_.size() : nl;
        line.offset = pos_;
        line.end = nl == std::string_view::npos ? text_.size() : nl + 1;
        line.text = text_.substr(pos_, stop - pos_);
        line.crlf = !line.text.empty() && line.text.back() == '\r';
        if (line.crlf) line.text.remove_suffix(1);
        pos_ = line.end;
        ++number_;
        return true;
    }
    std::size_t number() const { return number_; }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t number_ = 0;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "-----BEGIN X-----" → "X"
std::optional<std::string_view> marker_type(std::string_view line, std::string_view prefix) {
    line = trim(line);
    if (line.substr(0, prefix.size()) != prefix || line.size() < prefix.size() + kDashes.size())
        return std::nullopt;
    if (line.substr(line.size() - kDashes.size()) != kDashes) return std::nullopt;
    return line.substr(prefix.size(), line.size() - prefix.size() - kDashes.size());
}

bool looks_binary(std::string_view text) {
    if (text.find('\0') != std::string_view::npos) return true;
    // DER starts with a SEQUENCE tag and a long-form length.
    return text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x30 &&
           static_cast<unsigned char>(text[1]) >= 0x80;
}

struct BlockParser {
    LineReader& reader;
    PemBundle& bundle;
    PemProblem& problem;

    bool fail(std::size_t line, std::string message) {
        problem = {line, std::move(message)};
        return false;
    }

    bool parse_header_line(std::string_view text, PemBlock& block, std::size_t line) {
        std::size_t colon = text.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return fail(line, "malformed PEM header line (expected 'Name: value')");
        std::string_view name = trim(text.substr(0, colon));
        for (char c : name)
            if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
                return fail(line, "PEM header name has a control or non-ASCII character");
        for (char c : text)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
                return fail(line, "PEM header has a control character");
        block.headers.push_back({std::string(name), std::string(trim(text.substr(colon + 1)))});
        return true;
    }

    bool parse_block(const Line& begin, std::string_view type, std::string_view text) {
        PemBlock block;
        block.type = std::string(type);
        block.line = reader.number();
        std::string body;
        bool in_headers = true;
        Line line;
        while (reader.next(line)) {
            bundle.crlf = bundle.crlf || line.crlf;
            if (auto end = marker_type(line.text, kEnd)) {
                if (*end != type)
                    return fail(reader.number(), "END marker '" + std::string(*end) +
                                                     "' does not match BEGIN '" +
                                                     std::string(type) + "'");
                auto der = base64_decode(body, Padding::required);
                if (!der || der->empty())
                    return fail(block.line,
                                "base64 body of the " + block.type + " block is not valid");
                block.der = std::move(*der);
                block.original = text.substr(begin.offset, line.end - begin.offset);
                bundle.blocks.push_back(std::move(block));
                return true;
            }
            if (marker_type(line.text, kBegin))
                return fail(reader.number(),
                            "BEGIN inside the " + block.type + " block (missing END)");
            std::string_view content = trim(line.text);
            if (in_headers && content.find(':') != std::string_view::npos) {
                if (!parse_header_line(content, block, reader.number())) return false;
                continue;
            }
            if (in_headers && content.empty() && !block.headers.empty()) {
                in_headers = false;  // the blank line that ends the headers
                continue;
            }
            in_headers = false;
            if (content.empty()) continue;
            body.append(content);
        }
        return fail(block.line, "the " + block.type + " block has no END line (truncated file?)");
    }
};

}  // namespace

PemParseResult parse_pem(std::string_view text) {
    PemParseResult result;
    if (looks_binary(text)) {
        result.problem = {0, "binary data, not PEM (a DER file? convert it with openssl)"};
        return result;
    }
    PemBundle bundle;
    LineReader reader(text);
    BlockParser parser{reader, bundle, result.problem};
    Line line;
    while (reader.next(line)) {
        bundle.crlf = bundle.crlf || line.crlf;
        if (auto type = marker_type(line.text, kBegin)) {
            if (!parser.parse_block(line, *type, text)) return result;
        } else if (!trim(line.text).empty()) {
            bundle.text_outside_blocks = true;
        }
    }
    if (bundle.blocks.empty()) {
        result.problem = {0, "no PEM block found"};
        return result;
    }
    result.bundle = std::move(bundle);
    return result;
}

PemBundle parse_pem_or_throw(std::string_view text, const std::string& path) {
    PemParseResult parsed = parse_pem(text);
    if (!parsed.bundle) {
        std::string where = parsed.problem.line
                                ? "line " + std::to_string(parsed.problem.line) + ": "
                                : "";
        throw Error(path, where + parsed.problem.message,
                    "the file must be PEM as the engine writes it", ReadFailure::bad_pem);
    }
    return std::move(*parsed.bundle);
}

std::string encode_pem(std::string_view type, const Bytes& der) {
    std::string b64 = base64_encode(der);
    std::string out = "-----BEGIN " + std::string(type) + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) {
        out.append(b64, i, 64);
        out += '\n';
    }
    out += "-----END " + std::string(type) + "-----\n";
    return out;
}

}  // namespace swarmpki
