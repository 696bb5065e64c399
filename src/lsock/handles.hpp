// lsock: the handles a session sends, and what it does with those it receives.
#pragma once

#include "arguments.hpp"
#include "system.hpp"

#include <localsock/handle.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace lsock {

// --send-fd, --send-file, --send-memfd, opened once before any connection.
// Throws Failure.
std::vector<localsock::OwnedHandle> open_outgoing_handles(const std::vector<OutgoingHandle>& wanted);

// Prints one line (or JSON object) on stderr about each received handle,
// saves it (--save-fds), runs --exec with it; then closes it.
// Threads: take() from one thread at a time; describe() from any number
// (the relay's two directions), alongside take().
class ReceivedHandles {
public:
    explicit ReceivedHandles(const Arguments& arguments);
    // Every handle of one message. `handles` is left empty.
    void take(std::vector<localsock::OwnedHandle>& handles);
    // Describes without keeping (the relay forwards them afterwards);
    // `direction` ("A -> B") leads the line, or is the JSON's "direction".
    void describe(const std::vector<localsock::OwnedHandle>& handles, std::string_view direction = {});
    // Whether saving or a command failed (exit status 1 at the end).
    bool failed() const noexcept { return failed_; }

private:
    bool json_;
    std::string exec_command_;
    SaveDirectory save_directory_;
    bool saving_ = false;
    std::size_t saved_ = 0;
    bool failed_ = false;
};

// "lsock: " + text on stderr, one line, flushed.
void report(std::string_view text);
// A line (a JSON object) on stderr as it is, flushed.
void write_stderr_line(std::string line);

} // namespace lsock
