// The library's private control-message walker and ancillary::Received over
// crafted control buffers, which no kernel would produce and no socket can
// deliver: this binary links the library's objects, not its exported API,
// to reach them (tests/meson.build). The fuzzer tests/fuzz/fuzz_control.cpp
// checks the same properties over arbitrary bytes.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "posix/ancillary_access.hpp"
#include "posix/control.hpp"

#include <localsock/ancillary.hpp>

#include <climits>
#include <cstring>
#include <limits>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

using namespace localsock;

namespace {

// Appends one control message to `bytes` as a kernel lays it out.
void append(std::vector<unsigned char>& bytes, int level, int type, const void* payload, std::size_t size) {
    const std::size_t at = bytes.size();
    bytes.resize(at + CMSG_SPACE(size), 0);
    cmsghdr header{};
    header.cmsg_level = level;
    header.cmsg_type = type;
    header.cmsg_len = CMSG_LEN(size);
    std::memcpy(bytes.data() + at, &header, sizeof header);
    std::memcpy(bytes.data() + at + CMSG_LEN(0), payload, size);
}

struct Recorder {
    std::vector<int>* closed;
    void operator()(int fd) const noexcept { closed->push_back(fd); }
};

void load(ancillary::Received& received, const std::vector<unsigned char>& bytes) {
    REQUIRE(bytes.size() <= ancillary::capacity);
    std::memcpy(detail::AncillaryAccess::storage(received), bytes.data(), bytes.size());
    // Not owned: nothing here may close these made-up numbers.
    detail::AncillaryAccess::set_received(received, bytes.size(), false, false);
}

} // namespace

TEST_SUITE("unit") {

TEST_CASE("control walker: SCM_RIGHTS and SCM_PIDFD descriptors are owned, each exactly once, nothing else") {
    std::vector<unsigned char> bytes;
    const int rights[3] = {100, 101, 102};
    const int pidfd = 200;
    const int other[2] = {300, 301};
    const ucred cred{1, 2, 3};
    append(bytes, SOL_SOCKET, SCM_CREDENTIALS, &cred, sizeof cred);
    append(bytes, SOL_SOCKET, posix::scm_pidfd, &pidfd, sizeof pidfd);
    append(bytes, 1234, SCM_RIGHTS, other, sizeof other); // not SOL_SOCKET: not descriptors
    append(bytes, SOL_SOCKET, SCM_RIGHTS, rights, sizeof rights);
    std::vector<int> closed;
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes.data(), bytes.size(), Recorder{&closed});
        CHECK(arrived.size() == 3);
        CHECK(arrived.other_descriptors() == 1);
        CHECK(arrived.first_pidfd() == 200);
    }
    CHECK(closed == std::vector<int>{100, 101, 102, 200});

    closed.clear();
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes.data(), bytes.size(), Recorder{&closed});
        std::vector<OwnedHandle> out;
        std::error_code ec;
        REQUIRE(arrived.hand_over(out, ec));
        for (OwnedHandle& h : out)
            (void)h.release(); // made-up numbers: never close them for real
        CHECK(out.size() == 3);
    }
    CHECK(closed == std::vector<int>{200}); // the handle forms close the pidfd
}

TEST_CASE("control walker: a cmsg_len past the buffer is cut at its end; a short one ends the walk") {
    std::vector<unsigned char> bytes;
    const int rights[2] = {7, 8};
    append(bytes, SOL_SOCKET, SCM_RIGHTS, rights, sizeof rights);
    cmsghdr header;
    std::memcpy(&header, bytes.data(), sizeof header);
    header.cmsg_len = std::numeric_limits<decltype(header.cmsg_len)>::max(); // claims everything
    std::memcpy(bytes.data(), &header, sizeof header);
    std::vector<int> closed;
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes.data(), CMSG_LEN(sizeof(int)) + 2,
                                                         Recorder{&closed});
        CHECK(arrived.size() == 1); // one whole int fits; the half of the next is not read
    }
    CHECK(closed == std::vector<int>{7});

    header.cmsg_len = 3; // below a header
    std::memcpy(bytes.data(), &header, sizeof header);
    closed.clear();
    {
        posix::BasicArrivedDescriptors<Recorder> arrived(bytes.data(), bytes.size(), Recorder{&closed});
        CHECK(arrived.size() == 0);
    }
    CHECK(closed.empty());
}

TEST_CASE("control walker: MSG_CTRUNC with room left means the process ran out of descriptors") {
    std::vector<unsigned char> bytes;
    const int two[2] = {5, 6};
    append(bytes, SOL_SOCKET, SCM_RIGHTS, two, sizeof two);
    std::vector<int> closed;
    posix::BasicArrivedDescriptors<Recorder> arrived(bytes.data(), bytes.size(), Recorder{&closed});
    // Room for exactly two: the kernel stopped because the buffer was full.
    CHECK_FALSE(arrived.stopped_with_room(CMSG_LEN(2 * sizeof(int))));
    CHECK_FALSE(arrived.stopped_with_room(bytes.size()));
    // Room for more: it stopped because installing one failed (EMFILE).
    CHECK(arrived.stopped_with_room(CMSG_SPACE(8 * sizeof(int))));
    // None installed at all, in a buffer with room.
    posix::BasicArrivedDescriptors<Recorder> none(bytes.data(), 0, Recorder{&closed});
    CHECK(none.stopped_with_room(CMSG_SPACE(sizeof(int))));
    CHECK_FALSE(none.stopped_with_room(CMSG_LEN(0)));
}

TEST_CASE("ancillary: an absurd timestamp does not overflow; it reads as no timestamp") {
    ancillary::Received received;
    std::vector<unsigned char> bytes;
    timespec absurd{};
    absurd.tv_sec = std::numeric_limits<decltype(absurd.tv_sec)>::max();
    absurd.tv_nsec = 999'999'999;
    append(bytes, SOL_SOCKET, SCM_TIMESTAMPNS, &absurd, sizeof absurd);
    load(received, bytes);
    CHECK_FALSE(received.timestamp().has_value());

    bytes.clear();
    absurd.tv_sec = std::numeric_limits<decltype(absurd.tv_sec)>::min();
    append(bytes, SOL_SOCKET, SCM_TIMESTAMPNS, &absurd, sizeof absurd);
    load(received, bytes);
    CHECK_FALSE(received.timestamp().has_value());

    bytes.clear();
    timespec bad_fraction{1, 1'000'000'000};
    append(bytes, SOL_SOCKET, SCM_TIMESTAMPNS, &bad_fraction, sizeof bad_fraction);
    load(received, bytes);
    CHECK_FALSE(received.timestamp().has_value());

    bytes.clear();
    timeval tv{};
    tv.tv_sec = std::numeric_limits<decltype(tv.tv_sec)>::max() / 2;
    append(bytes, SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof tv);
    load(received, bytes);
    CHECK_FALSE(received.timestamp().has_value());

    bytes.clear();
    const timespec fine{1'700'000'000, 5};
    append(bytes, SOL_SOCKET, SCM_TIMESTAMPNS, &fine, sizeof fine);
    load(received, bytes);
    REQUIRE(received.timestamp().has_value());
    CHECK(received.timestamp()->time_since_epoch().count() == 1'700'000'000'000'000'005LL);
    received.clear();
}

} // TEST_SUITE
