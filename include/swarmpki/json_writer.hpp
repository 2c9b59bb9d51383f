// A small streaming JSON writer: members come out in the order they are written, so documents
// are stable and diffable, and nothing is buffered beyond the output string.
#pragma once

// Util layer (1): includable from every layer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

// compact: no white space; pretty: one member a line, indented by two; single_line: one line
// with a space after each ':' and ',' ({"tokens": 3, "valid": 3}), for a small object inside a
// document that is otherwise pretty.
enum class JsonStyle { compact, pretty, single_line };

class JsonWriter {
public:
    explicit JsonWriter(JsonStyle style = JsonStyle::pretty) : style_(style) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(std::size_t number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(double number);
    JsonWriter& null();
    template <typename T>
    JsonWriter& value(const std::optional<T>& maybe) {
        return maybe ? value(*maybe) : null();
    }
    JsonWriter& value(const std::vector<std::string>& list);

    // key + value in one call.
    template <typename T>
    JsonWriter& member(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }
    JsonWriter& null_member(std::string_view name) { return key(name).null(); }

    // Inserts pre-rendered JSON as a value (used to embed one document in another).
    JsonWriter& raw(std::string_view json);

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }
    // For a document streamed in pieces: appends what is written so far to `sink` and forgets it,
    // keeping the writer's place (open containers, the comma before the next member).
    void flush_into(std::string& sink);

private:
    void before_value();
    JsonWriter& close(char bracket);
    void newline();

    JsonStyle style_;
    std::string out_;
    std::vector<bool> first_;  // per open container: no member written yet
    bool after_key_ = false;
};

// Appends `text` as a JSON string literal (with quotes), escaping control characters and
// replacing invalid UTF-8 with U+FFFD so output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

}  // namespace swarmpki
