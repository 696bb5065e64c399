// Unit tests: OwnedHandle / BorrowedHandle ownership rules.
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/handle.hpp>

#include <fcntl.h>
#include <unistd.h>

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

namespace {
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

OwnedHandle make_pipe_end(OwnedHandle& other) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    other.reset(fds[1]);
    return OwnedHandle(fds[0]);
}
} // namespace

TEST_SUITE("unit") {

TEST_CASE("handles: an owner closes exactly once and moves") {
    const testing::DescriptorLeakCheck leaks;
    OwnedHandle write_end;
    OwnedHandle read_end = make_pipe_end(write_end);
    const int fd = read_end.get();
    CHECK(read_end.valid());

    OwnedHandle moved = std::move(read_end);
    CHECK_FALSE(read_end.valid());
    CHECK(moved.get() == fd);
    CHECK(is_open(fd));

    const BorrowedHandle borrowed = moved;
    CHECK(borrowed.get() == fd);

    moved.reset();
    CHECK_FALSE(is_open(fd));
    CHECK_FALSE(moved.valid());
}

TEST_CASE("handles: release gives up ownership, reset takes it") {
    const testing::DescriptorLeakCheck leaks;
    OwnedHandle write_end;
    OwnedHandle read_end = make_pipe_end(write_end);
    const int fd = read_end.release();
    CHECK_FALSE(read_end.valid());
    CHECK(is_open(fd));
    read_end.reset(fd);
    CHECK(read_end.get() == fd);
}

TEST_CASE("handles: duplicate is an independent, close-on-exec owner") {
    const testing::DescriptorLeakCheck leaks;
    OwnedHandle write_end;
    OwnedHandle read_end = make_pipe_end(write_end);
    OwnedHandle copy = write_end.duplicate();
    CHECK(copy.get() != write_end.get());
    CHECK((::fcntl(copy.get(), F_GETFD) & FD_CLOEXEC) != 0);
    write_end.reset();
    REQUIRE(::write(copy.get(), "x", 1) == 1); // still usable after the original closed
    char c = 0;
    REQUIRE(::read(read_end.get(), &c, 1) == 1);
    CHECK(c == 'x');

    std::error_code ec;
    const OwnedHandle none;
    CHECK_FALSE(none.duplicate(ec).valid());
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS((void)none.duplicate(), std::system_error);
}

} // TEST_SUITE
