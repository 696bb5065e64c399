// Benchmark support: the one thing the portable contenders need from the OS.
#pragma once

#include <localsock/handle.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace bench {

// `count` handles of a cheap kernel object to pass around (/dev/null
// descriptors on POSIX, events on Windows).
std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count);

// For bench-bulk: this process's id, the path that runs this program again,
// a copy of it started with arguments, and plain reads and writes on a
// stream's descriptor (read/write; ReadFile/WriteFile), the hand-written
// side of its comparison. Each fails the benchmark on an error.
unsigned long process_id();
std::string this_program(const char* argv0);
class Child {
public:
    static Child start(const std::string& program, const std::vector<std::string>& args);
    Child(Child&& other) noexcept;
    Child& operator=(Child&&) = delete;
    ~Child();
    int wait(); // the exit status
private:
    Child() = default;
    localsock::native_handle_type process_{};
    long id_ = -1;
};
// Runs the calling process on one CPU only (false where that cannot be
// done: the benchmark then says so and runs unpinned).
bool pin_to_cpu(unsigned cpu);
void raw_write_all(localsock::native_handle_type handle, std::span<const std::byte> bytes);
void raw_read_exact(localsock::native_handle_type handle, std::span<std::byte> bytes);

} // namespace bench
