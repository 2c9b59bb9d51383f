// Webhook URLs: splitting one for the HTTP client, and reading them from a --webhook-url-file.
//
// A webhook URL is often a credential (Slack's path is the whole secret), so no message here
// ever names more of a refused URL than its scheme, and URLs can come from a file (mode 0600)
// instead of argv, which every local user can read in /proc/PID/cmdline.
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/webhook.hpp"

#include <algorithm>
#include <cctype>

namespace swarmpki {

namespace {

// What a refused URL's scheme was, for the error, and nothing more.
std::string scheme_of(std::string_view url) {
    std::size_t end = url.find("://");
    std::string_view scheme = url.substr(0, end);
    bool plain = end != std::string_view::npos && !scheme.empty() && scheme.size() <= 16 &&
                 std::all_of(scheme.begin(), scheme.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                            c == '.';
                 });
    return plain ? "it starts with '" + std::string(scheme) + "://'" : "it has no scheme://";
}

// "hooks.example" from "hooks.example:8443", "::1" from "[::1]:9000".
std::string host_of(std::string_view authority) {
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return {};  // "[::1" is no host
        return std::string(authority.substr(1, close - 1));
    }
    return std::string(authority.substr(0, authority.find(':')));
}

// Why `url` is no webhook URL ("" when it is one, and then `parsed` holds it split). The
// problem reads after "URL": "... URL is not an http:// or https:// URL (...)".
std::string webhook_url_problem(std::string_view url, WebhookUrl& parsed) {
    std::string_view rest;
    if (url.substr(0, 8) == "https://") {
        parsed.https = true;
        rest = url.substr(8);
    } else if (url.substr(0, 7) == "http://") {
        rest = url.substr(7);
    } else {
        return "is not an http:// or https:// URL (" + scheme_of(url) + ")";
    }
    // A space, CR or LF would end the request line early and start a header of its own.
    if (std::any_of(url.begin(), url.end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) == 0x7f;
        }))
        return "contains a space or a control character (percent-encode it)";
    std::size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    parsed.host = host_of(authority);
    if (parsed.host.empty() || authority.find('@') != std::string_view::npos)
        return "needs a host (and no user:password@ part): use --webhook-secret-file for "
               "authentication";
    parsed.scheme_host_port = std::string(parsed.https ? "https://" : "http://") +
                              std::string(authority);
    // A query with no path ("host?x=1") still needs the root path in front of it. Built by
    // appending: GCC 12's -Wrestrict misfires on string::insert at -O2 and above.
    std::string_view tail = slash == std::string_view::npos ? std::string_view()
                                                            : rest.substr(slash);
    parsed.path.clear();
    if (tail.empty() || tail.front() == '?') parsed.path.push_back('/');
    parsed.path.append(tail);
    return {};
}

std::string_view trimmed(std::string_view line) {
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!line.empty() && space(line.front())) line.remove_prefix(1);
    while (!line.empty() && space(line.back())) line.remove_suffix(1);
    return line;
}

}  // namespace

WebhookUrl parse_webhook_url(std::string_view url) {
    WebhookUrl parsed;
    std::string problem = webhook_url_problem(url, parsed);
    if (!problem.empty()) throw UsageError("--webhook URL " + problem);
    return parsed;
}

std::vector<std::string> load_webhook_urls(const std::string& path) {
    std::string text;
    try {
        text = read_file(path, kWebhookUrlFileLimit);
    } catch (const Error& e) {
        if (e.reason() != ReadFailure::too_large) throw;
        throw Error(path, e.problem(),
                    "a --webhook-url-file holds a few URLs, one per line; check the path",
                    ReadFailure::too_large);
    }
    std::vector<std::string> urls;
    std::string_view rest = text;
    for (std::size_t number = 1; !rest.empty(); ++number) {
        std::size_t end = rest.find('\n');
        std::string_view line = trimmed(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (line.empty() || line.front() == '#') continue;
        WebhookUrl parsed;
        std::string problem = webhook_url_problem(line, parsed);
        if (!problem.empty())
            throw Error(path + ":" + std::to_string(number), "the webhook URL " + problem,
                        "write one http:// or https:// URL per line ('#' starts a comment)");
        urls.emplace_back(line);
    }
    if (urls.empty())
        throw Error(path, "no webhook URL in it",
                    "write the receiver's http:// or https:// URL into it, one per line");
    return urls;
}

}  // namespace swarmpki
