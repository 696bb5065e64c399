#include "handles.hpp"

#include "connection.hpp"

#include <localsock/error.hpp>
#include <localsock/shared_memory.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

void write_stderr_line(std::string line) {
    // One fwrite per line (lines of two threads do not interleave), flushed
    // at once: a script reads "listening on" before it connects, and
    // stderr is buffered where the C runtime says so (MinGW's, to a file).
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

void report(std::string_view text) { write_stderr_line(fmt::format("lsock: {}", text)); }

namespace {

// A region holding `text`, sealed immutable (the library's SharedMemory: a
// memfd, a read-only section on Windows). An empty text takes one zero
// byte: a region has a size.
OwnedHandle sealed_memory_with(const std::string& text) {
    std::error_code ec;
    localsock::SharedMemory memory = localsock::SharedMemory::create(std::max<std::size_t>(text.size(), 1), "lsock", ec);
    if (!ec) {
        const localsock::SharedMapping view = memory.map(localsock::MapAccess::read_write, ec);
        if (!ec)
            std::copy(text.begin(), text.end(), reinterpret_cast<char*>(view.writable().data()));
    } // unmapped: a write seal needs no writable mapping left
    if (!ec)
        memory.seal(localsock::seals::immutable, ec);
    if (ec)
        fail(ec, "--send-memfd: create sealed memory");
    return memory.release();
}

} // namespace

std::vector<OwnedHandle> open_outgoing_handles(const std::vector<OutgoingHandle>& wanted) {
    std::vector<OwnedHandle> handles;
    for (const OutgoingHandle& handle : wanted) {
        std::error_code ec;
        switch (handle.source) {
        case OutgoingHandle::Source::own_handle:
            handles.push_back(duplicate_own_handle(handle.number, ec));
            if (ec)
                fail(ec, fmt::format("--send-fd {}", handle.number));
            break;
        case OutgoingHandle::Source::file:
            handles.push_back(open_file_for_sending(handle.value, ec));
            if (ec)
                fail(ec, "--send-file: open", handle.value);
            break;
        case OutgoingHandle::Source::memory:
            handles.push_back(sealed_memory_with(handle.value));
            break;
        }
    }
    if (handles.size() > localsock::max_handles_per_message)
        throw UsageError(fmt::format("{} handles to send: one message carries at most {}", handles.size(),
                                     localsock::max_handles_per_message));
    return handles;
}

ReceivedHandles::ReceivedHandles(const Arguments& arguments)
    : json_(arguments.json), exec_command_(arguments.exec_command) {
    if (!arguments.save_directory.empty()) {
        std::error_code ec;
        save_directory_ = SaveDirectory::open(arguments.save_directory, ec);
        if (ec)
            fail(ec, "--save-fds: open directory", arguments.save_directory);
        saving_ = true;
    }
}

void ReceivedHandles::describe(const std::vector<OwnedHandle>& handles, std::string_view direction) {
    for (std::size_t i = 0; i < handles.size(); ++i) {
        const HandleDescription description = describe_handle(handles[i]);
        if (json_) {
            write_stderr_line(to_json(description, i, handles.size(), direction));
        } else {
            report(fmt::format("{}{}{}", direction, direction.empty() ? "" : ": ",
                               to_text(description, i, handles.size())));
        }
    }
}

void ReceivedHandles::take(std::vector<OwnedHandle>& handles) {
    describe(handles);
    if (saving_) {
        for (const OwnedHandle& handle : handles) {
            const std::string name = fmt::format("handle-{}", ++saved_);
            std::error_code ec;
            const std::uint64_t bytes = save_directory_.save(handle, name, ec);
            if (ec) {
                report(fmt::format("--save-fds: {} not saved: {}", name, localsock::error_message(ec)));
                if (ec != std::errc::not_supported)
                    failed_ = true;
            } else {
                report(fmt::format("saved {} bytes to {}", bytes, save_directory_.file_path(name)));
            }
        }
    }
    if (!exec_command_.empty()) {
        std::vector<BorrowedHandle> borrowed(handles.begin(), handles.end());
        std::error_code ec;
        ChildProcess child = spawn_with_handles(shell_command(exec_command_), borrowed, ec);
        int status = 0;
        if (!ec)
            status = wait_for(child, ec);
        if (ec) {
            report(fmt::format("--exec '{}': {}", exec_command_, localsock::error_message(ec)));
            failed_ = true;
        } else if (status != 0) {
            report(fmt::format("--exec '{}' exited with status {}", exec_command_, status));
            failed_ = true;
        }
    }
    handles.clear();
}

} // namespace lsock
