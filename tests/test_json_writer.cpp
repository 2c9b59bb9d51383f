// JsonWriter and append_json_string: exact bytes for escaping, nesting in both styles and numbers,
// and the project's rule for bytes that are not UTF-8 (pki/utf8.cpp: each byte that does not
// start a valid sequence becomes U+FFFD), checked against nlohmann-json as an independent parser.
#include "swarmpki/json_writer.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace swarmpki;

namespace {

std::string json_quoted(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string compact_number(double number) {
    JsonWriter json(JsonStyle::compact);
    json.value(number);
    return json.take();
}

}  // namespace

TEST_CASE("append_json_string escapes quotes, backslashes and control characters",
          "[json_writer]") {
    CHECK(json_quoted("") == R"("")");
    CHECK(json_quoted("plain /path") == R"("plain /path")");  // '/' needs no escape
    CHECK(json_quoted("a\"b") == R"("a\"b")");
    CHECK(json_quoted("a\\b") == R"("a\\b")");
    CHECK(json_quoted("l1\nl2\r\t") == R"("l1\nl2\r\t")");
    CHECK(json_quoted(std::string("\x00\x01\x08\x1f", 4)) == R"("\u0000\u0001\u0008\u001f")");
    CHECK(json_quoted("del\x7f") == R"("del\u007f")");
    CHECK(json_quoted("\x20~") == R"(" ~")");
}

TEST_CASE("append_json_string keeps valid UTF-8 as it is and replaces each invalid byte",
          "[json_writer][utf8]") {
    CHECK(json_quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");  // never \u-escaped
    CHECK(json_quoted("n\xff") == "\"n\xef\xbf\xbd\"");
    CHECK(json_quoted("\xc0\xaf") ==
          "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong: two bytes, two marks
    CHECK(json_quoted("\xed\xa0\x80") ==
          "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");                   // a surrogate
    CHECK(json_quoted("a\xe2\x82") == "\"a\xef\xbf\xbd\xef\xbf\xbd\"");  // truncated at the end
    CHECK(json_quoted("\xc3\"") == "\"\xef\xbf\xbd\\\"\"");  // the quote is still escaped
    for (const std::string& hostile :
         {std::string("\xff\xfe"), std::string("\x80q\"\\\n"), std::string("\xf4\x90\x80\x80")}) {
        nlohmann::json parsed;
        REQUIRE_NOTHROW(parsed = nlohmann::json::parse(json_quoted(hostile)));
        CHECK(parsed.is_string());
    }
}

TEST_CASE("JsonWriter nests objects and arrays, compact", "[json_writer]") {
    JsonWriter json(JsonStyle::compact);
    json.begin_object()
        .member("name", "node-1")
        .key("list")
        .begin_array()
        .value(true)
        .value(false)
        .null()
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .member("tags", std::vector<std::string>{"a", "b"})
        .member("none", std::optional<std::string>())
        .member("some", std::optional<std::int64_t>(7))
        .null_member("gone")
        .key("embedded")
        .raw(R"({"x":1})")
        .end_object();
    CHECK(json.str() ==
          R"({"name":"node-1","list":[true,false,null,{},[]],"tags":["a","b"],"none":null,)"
          R"("some":7,"gone":null,"embedded":{"x":1}})");
    CHECK(nlohmann::json::parse(json.str())["list"].size() == 5);
}

TEST_CASE("JsonWriter indents by two spaces per level, pretty", "[json_writer]") {
    JsonWriter json;  // pretty is the default
    json.begin_object()
        .member("a", 1)
        .key("b")
        .begin_array()
        .value("x")
        .begin_object()
        .end_object()
        .end_array()
        .key("c")
        .begin_object()
        .member("d", false)
        .end_object()
        .end_object();
    CHECK(json.str() == "{\n"
                        "  \"a\": 1,\n"
                        "  \"b\": [\n"
                        "    \"x\",\n"
                        "    {}\n"
                        "  ],\n"
                        "  \"c\": {\n"
                        "    \"d\": false\n"
                        "  }\n"
                        "}");
    JsonWriter empty;
    empty.begin_array().end_array();
    CHECK(empty.take() == "[]");
}

TEST_CASE("JsonWriter escapes keys like values", "[json_writer]") {
    JsonWriter json(JsonStyle::compact);
    json.begin_object().member("k\"\n\xff", "v").end_object();
    CHECK(json.str() == "{\"k\\\"\\n\xef\xbf\xbd\":\"v\"}");
}

TEST_CASE("JsonWriter numbers: integers exact, doubles to six digits, no NaN or infinity",
          "[json_writer]") {
    JsonWriter ints(JsonStyle::compact);
    ints.begin_array()
        .value(std::numeric_limits<std::int64_t>::max())
        .value(std::numeric_limits<std::int64_t>::min())
        .value(0)
        .value(std::size_t{4294967296})
        .end_array();
    CHECK(ints.str() == "[9223372036854775807,-9223372036854775808,0,4294967296]");

    CHECK(compact_number(0.5) == "0.5");
    CHECK(compact_number(-2.0) == "-2");
    CHECK(compact_number(1.0 / 3.0) == "0.333333");
    CHECK(compact_number(1234567.0) == "1.23457e+06");
    CHECK(compact_number(1e21) == "1e+21");
    // JSON has no NaN or infinity: null keeps the document parseable.
    CHECK(compact_number(std::nan("")) == "null");
    CHECK(compact_number(std::numeric_limits<double>::infinity()) == "null");
    CHECK(compact_number(-std::numeric_limits<double>::infinity()) == "null");
    CHECK(nlohmann::json::parse("[" + compact_number(1234567.0) + "]")[0].get<double>() ==
          1234570.0);
}

TEST_CASE("JsonWriter single_line: one line, a space after each colon and comma", "[json_writer]") {
    JsonWriter json(JsonStyle::single_line);
    json.begin_object().member("tokens", 3).member("valid", 2).key("list").begin_array();
    json.value(1).value("x").end_array().end_object();
    CHECK(json.str() == R"({"tokens": 3, "valid": 2, "list": [1, "x"]})");
}

TEST_CASE("JsonWriter flush_into streams a document in pieces", "[json_writer]") {
    JsonWriter json;
    std::string sink;
    json.begin_object().member("schema", "s").key("items").begin_array();
    json.flush_into(sink);
    CHECK(json.str().empty());
    json.raw(R"({"a":1})");
    json.flush_into(sink);
    json.raw(R"({"a":2})").end_array().end_object();  // the comma and indent are still known
    json.flush_into(sink);
    CHECK(sink == "{\n  \"schema\": \"s\",\n  \"items\": [\n    {\"a\":1},\n    {\"a\":2}\n  ]\n}");
}
