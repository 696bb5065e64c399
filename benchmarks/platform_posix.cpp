#include "harness.hpp"
#include "platform.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

extern char** environ;

namespace bench {

std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count) {
    std::vector<localsock::OwnedHandle> handles;
    for (std::size_t i = 0; i < count; ++i) {
        handles.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!handles.back())
            fail("open /dev/null");
    }
    return handles;
}

bool pin_to_cpu(unsigned cpu) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::sched_setaffinity(0, sizeof set, &set) == 0;
#else
    (void)cpu;
    return false;
#endif
}

unsigned long process_id() { return static_cast<unsigned long>(::getpid()); }

std::string this_program(const char* argv0) {
#if defined(__linux__)
    (void)argv0;
    return "/proc/self/exe";
#else
    return argv0;
#endif
}

Child Child::start(const std::string& program, const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
        fail("posix_spawn " + program);
    Child child;
    child.id_ = pid;
    return child;
}

Child::Child(Child&& other) noexcept : process_(other.process_), id_(std::exchange(other.id_, -1)) {}

Child::~Child() {
    if (id_ > 0)
        (void)wait();
}

int Child::wait() {
    int status = 0;
    while (::waitpid(static_cast<pid_t>(id_), &status, 0) < 0)
        if (errno != EINTR)
            fail("waitpid");
    id_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void raw_write_all(localsock::native_handle_type handle, std::span<const std::byte> bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(handle, bytes.data() + done, bytes.size() - done);
        if (n <= 0)
            fail("write");
        done += static_cast<std::size_t>(n);
    }
}

void raw_read_exact(localsock::native_handle_type handle, std::span<std::byte> bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::read(handle, bytes.data() + done, bytes.size() - done);
        if (n <= 0)
            fail("read");
        done += static_cast<std::size_t>(n);
    }
}

} // namespace bench
