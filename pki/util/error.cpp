#include "swarmpki/error.hpp"

#include <algorithm>

namespace swarmpki {

const char* to_string(ReadFailure reason) {
    switch (reason) {
        case ReadFailure::none: return "none";
        case ReadFailure::not_found: return "not_found";
        case ReadFailure::permission_denied: return "permission_denied";
        case ReadFailure::broken_symlink: return "broken_symlink";
        case ReadFailure::too_large: return "too_large";
        case ReadFailure::not_a_file: return "not_a_file";
        case ReadFailure::bad_pem: return "bad_pem";
        case ReadFailure::read_failed: return "read_failed";
    }
    return "read_failed";
}

namespace {
// An error message is one line whatever its parts contain.
std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text;
}

std::string compose(const std::string& subject, const std::string& problem,
                    const std::string& remedy) {
    std::string line = subject.empty() ? problem : subject + ": " + problem;
    if (!remedy.empty()) line += " (" + remedy + ")";
    return one_line(line);
}
}  // namespace

Error::Error(std::string subject, std::string problem, std::string remedy, ReadFailure reason)
    : std::runtime_error(compose(subject, problem, remedy)),
      subject_(std::move(subject)),
      problem_(std::move(problem)),
      remedy_(std::move(remedy)),
      reason_(reason) {}

}  // namespace swarmpki
