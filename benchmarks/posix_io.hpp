// Hand-written POSIX socket calls shared by the floors (raw, async-epoll) and
// the client every async contender is measured with: nothing between the
// benchmark and the kernel.
#pragma once

#include <cstddef>
#include <string>

#include <sys/types.h>
#include <sys/un.h>

namespace bench::posix {

sockaddr_un address_of(const std::string& path);

// `type` is SOCK_STREAM or SOCK_SEQPACKET (| SOCK_NONBLOCK for an event loop).
int listen_on(const std::string& path, int type);
// Retries until the server is up.
int connect_to(const std::string& path, int type);

void read_exact(int fd, void* data, std::size_t size);
void write_all(int fd, const void* data, std::size_t size);

// One message of `size` bytes carrying `count` (at most 64) descriptors.
void send_with(int fd, const int* fds, std::size_t count, char* data, std::size_t size);

// One recvmsg into `size` bytes with room for `room` descriptors (at most
// 64); closes every descriptor that came and adds their number to `handles`.
// Returns what recvmsg returned (0 at the end of the stream, -1 with errno
// set, EAGAIN included). As localsock's receive does, it notices truncation
// (MSG_CTRUNC: descriptors lost; MSG_TRUNC: bytes lost) and fails on it.
ssize_t try_receive_and_close(int fd, void* data, std::size_t size, std::size_t room, std::size_t& handles);

// The blocking form: exactly `size` bytes must come; returns how many
// descriptors came with them.
std::size_t receive_and_close(int fd, void* data, std::size_t size, std::size_t room);

// How many descriptors the process has open (Linux: /proc/self/fd).
std::size_t open_descriptors();

// Put one first in a server: when it goes, the server must have closed every
// descriptor it opened or received (fails otherwise).
class DescriptorLeakCheck {
public:
    DescriptorLeakCheck() : at_start_(open_descriptors()) {}
    ~DescriptorLeakCheck();
    DescriptorLeakCheck(const DescriptorLeakCheck&) = delete;
    DescriptorLeakCheck& operator=(const DescriptorLeakCheck&) = delete;

private:
    std::size_t at_start_;
};

} // namespace bench::posix
