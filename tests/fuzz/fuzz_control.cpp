// libFuzzer: the POSIX control-message walker (src/posix/control.hpp) and
// ancillary::Received over arbitrary control bytes — what a receive could
// leave in msg_control. The walker runs with a recording close policy, so
// that no random number is ever really closed, and its descriptor
// accounting is checked against a reference reading of the layout: what it
// would close is exactly the descriptors of the SCM_RIGHTS and SCM_PIDFD
// payloads within the bytes, each exactly once; what it hands over is
// exactly the SCM_RIGHTS ones, in order. Received's iterator must stay inside
// its buffer and agree with the walker; its typed readers must not overflow.
//
// Input: 2 bytes of control-buffer capacity (for the out-of-descriptors
// test), then the control bytes.
#include "posix/ancillary_access.hpp"
#include "posix/control.hpp"

#include <localsock/ancillary.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sys/socket.h>

using namespace localsock;

namespace {

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_control: property violated: %s\n", what);
        std::abort();
    }
}

struct Recorder {
    std::vector<int>* closed;
    void operator()(int fd) const noexcept { closed->push_back(fd); }
};

struct Expected {
    std::vector<int> rights;
    std::vector<int> pidfds;
};

// The layout, read independently of the walker: headers of
// sizeof(cmsghdr) bytes, aligned to sizeof(size_t); a message ends the walk
// when its header does not fit or its cmsg_len is shorter than a header;
// a payload is what cmsg_len claims, cut at the end of the bytes.
Expected reference(const unsigned char* bytes, std::size_t size) {
    constexpr std::size_t align = sizeof(std::size_t);
    auto aligned = [](std::size_t n) { return (n + align - 1) / align * align; };
    const std::size_t header = aligned(sizeof(cmsghdr));
    Expected out;
    std::size_t offset = 0;
    while (offset < size && size - offset >= header) {
        cmsghdr h;
        std::memcpy(&h, bytes + offset, sizeof h);
        if (h.cmsg_len < header)
            break;
        const std::size_t payload = std::min<std::size_t>(h.cmsg_len - header, size - offset - header);
        std::vector<int>* into = nullptr;
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS)
            into = &out.rights;
        else if (posix::platform_has_scm_pidfd && h.cmsg_level == SOL_SOCKET && h.cmsg_type == posix::scm_pidfd)
            into = &out.pidfds;
        if (into != nullptr)
            for (std::size_t i = 0; i + sizeof(int) <= payload; i += sizeof(int)) {
                int fd;
                std::memcpy(&fd, bytes + offset + header + i, sizeof fd);
                into->push_back(fd);
            }
        offset += header + aligned(payload);
    }
    return out;
}

std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::size_t capacity = static_cast<std::size_t>(data[0]) | static_cast<std::size_t>(data[1]) << 8;
    data += 2;
    size -= 2;
    if (size > ancillary::capacity)
        size = ancillary::capacity;
    // Aligned for cmsghdr, as every receive buffer is; the exact size, so
    // that the sanitizer sees any read past it.
    std::vector<std::max_align_t> storage((size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t) + 1);
    auto* bytes = reinterpret_cast<unsigned char*>(storage.data());
    std::memcpy(bytes, data, size);
    const Expected expected = reference(bytes, size);

    // Left alone, the walker closes every descriptor, once.
    std::vector<int> closed;
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes, size, Recorder{&closed});
        require(arrived.size() == expected.rights.size(), "SCM_RIGHTS count");
        require(arrived.other_descriptors() == expected.pidfds.size(), "SCM_PIDFD count");
        (void)arrived.stopped_with_room(capacity);
    }
    std::vector<int> all = expected.rights;
    all.insert(all.end(), expected.pidfds.begin(), expected.pidfds.end());
    require(sorted(closed) == sorted(all), "closes exactly the descriptors the bytes carry");

    // Handing over gives the SCM_RIGHTS ones in order and closes the rest.
    closed.clear();
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes, size, Recorder{&closed});
        std::vector<OwnedHandle> out;
        std::error_code ec;
        require(arrived.hand_over(out, ec), "hand over");
        std::vector<int> given;
        for (OwnedHandle& h : out)
            given.push_back(h.release()); // made-up numbers: never closed for real
        require(given == expected.rights, "hands over exactly the SCM_RIGHTS descriptors, in order");
    }
    require(sorted(closed) == sorted(expected.pidfds), "then closes only the others");

    // Kept: nothing closed. Taking the pidfd: the first, the rest closed.
    closed.clear();
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes, size, Recorder{&closed});
        const int first = arrived.first_pidfd();
        require(expected.pidfds.empty() ? first == -1 : first == expected.pidfds.front(), "first pidfd");
        arrived.keep();
    }
    require(closed.empty(), "keep() closes nothing");

    // Received over the same bytes, not owning them (nothing is closed).
    ancillary::Received received;
    std::memcpy(detail::AncillaryAccess::storage(received), bytes, size);
    detail::AncillaryAccess::set_received(received, size, false, false);
    const auto* begin = detail::AncillaryAccess::storage(received);
    std::size_t messages = 0, rights = 0;
    for (const ancillary::Received::Message& m : received) {
        require(++messages <= size / CMSG_LEN(0) + 1, "the iterator ends");
        require(m.payload.empty() ||
                    (m.payload.data() >= begin && m.payload.data() + m.payload.size() <= begin + size),
                "a payload lies inside the bytes received");
        if (m.level == SOL_SOCKET && m.type == SCM_RIGHTS)
            rights += m.payload.size() / sizeof(int);
    }
    require(rights == expected.rights.size(), "the iterator and the walker agree");
    (void)received.credentials();
    (void)received.timestamp(); // UBSan: no overflow, whatever the seconds
    (void)received.find(SOL_SOCKET, SCM_RIGHTS);
    require(received.handle_count() == 0 && !received.pidfd().valid(), "not owned: nothing to give");
    return 0;
}
