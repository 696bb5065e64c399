// Unit tests: OwnedHandle / BorrowedHandle ownership rules.
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/handle.hpp>

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

TEST_SUITE("unit") {

TEST_CASE("handles: an owner closes exactly once and moves") {
    const testing::HandleLeakCheck leaks;
    const std::size_t before = testing::count_open_handles();
    auto [read_end, write_end] = testing::make_pipe();
    CHECK(testing::count_open_handles() == before + 2);
    const auto native = read_end.get();
    CHECK(read_end.valid());

    OwnedHandle moved = std::move(read_end);
    CHECK_FALSE(read_end.valid());
    CHECK(moved.get() == native);

    const BorrowedHandle borrowed = moved;
    CHECK(borrowed.get() == native);

    moved.reset();
    CHECK_FALSE(moved.valid());
    CHECK(testing::count_open_handles() == before + 1);
}

TEST_CASE("handles: release gives up ownership, reset takes it") {
    const testing::HandleLeakCheck leaks;
    auto [read_end, write_end] = testing::make_pipe();
    const std::size_t open = testing::count_open_handles();
    const auto native = read_end.release();
    CHECK_FALSE(read_end.valid());
    CHECK(testing::count_open_handles() == open); // released, not closed
    read_end.reset(native);
    CHECK(read_end.get() == native);
}

TEST_CASE("handles: duplicate is an independent, non-inheritable owner") {
    const testing::HandleLeakCheck leaks;
    auto [read_end, write_end] = testing::make_pipe();
    OwnedHandle copy = write_end.duplicate();
    CHECK(copy.get() != write_end.get());
    CHECK_FALSE(testing::is_inheritable(copy));
    write_end.reset();
    testing::write_handle(copy, "x"); // still usable after the original closed
    CHECK(testing::read_handle(read_end, 1) == "x");

    std::error_code ec;
    const OwnedHandle none;
    CHECK_FALSE(none.duplicate(ec).valid());
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS((void)none.duplicate(), std::system_error);
}

} // TEST_SUITE
