// Errors that reach an operator: the file or value first, then the problem, then the remedy.
//
// `Error` is recoverable input trouble (exit 3 at the command level); `UsageError` is a bad
// command line (exit 64). Messages are one line and never contain secret material: callers pass
// the *name* of a secret ("the unlock key"), never its value.
#pragma once

// Util layer (1): includable from every layer.

#include <stdexcept>
#include <string>

namespace swarmpki {

// Why a file could not be read; stable names used in JSON, metrics and scan summaries.
enum class ReadFailure {
    none,
    not_found,
    permission_denied,
    broken_symlink,
    too_large,
    not_a_file,
    bad_pem,
    read_failed,
};

const char* to_string(ReadFailure reason);

class Error : public std::runtime_error {
public:
    Error(std::string subject, std::string problem, std::string remedy = {},
          ReadFailure reason = ReadFailure::read_failed);

    const std::string& subject() const { return subject_; }
    const std::string& problem() const { return problem_; }
    const std::string& remedy() const { return remedy_; }
    ReadFailure reason() const { return reason_; }

private:
    std::string subject_;
    std::string problem_;
    std::string remedy_;
    ReadFailure reason_;
};

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace swarmpki
