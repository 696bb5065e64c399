// Shared memory on POSIX: the memfd seals do what SharedMemory says, so a
// region a receiver adopted can neither shrink under its mappings (no
// SIGBUS) nor change after it was checked.
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>
#include <localsock/shared_memory.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace localsock;

namespace {

// A memfd as a foreign sender would make it, with exactly `seals` (F_SEAL_*).
OwnedHandle foreign_memfd(std::size_t size, int seals) {
    const int fd = ::memfd_create("foreign", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    OwnedHandle handle(fd);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
    REQUIRE(::fcntl(fd, F_ADD_SEALS, seals) == 0);
    return handle;
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("shared memory (POSIX): an immutable region cannot be resized or written by anybody") {
    const testing::HandleLeakCheck leaks;
    SharedMemory memory = SharedMemory::create(8192);
    memory.seal(seals::immutable);
    const int fd = memory.handle().get();
    errno = 0;
    CHECK(::ftruncate(fd, 4096) == -1); // what would make a receiver's mapping fault
    CHECK(errno == EPERM);
    CHECK(::ftruncate(fd, 16384) == -1);
    CHECK(::pwrite(fd, "x", 1, 0) == -1);
    CHECK(::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
    // No seal can be taken back.
    CHECK(::fcntl(fd, F_ADD_SEALS, 0) == -1);
}

TEST_CASE("shared memory (POSIX): a write seal needs every writable mapping gone") {
    const testing::HandleLeakCheck leaks;
    SharedMemory memory = SharedMemory::create(4096);
    SharedMapping mapping = memory.map(MapAccess::read_write);
    std::error_code ec;
    memory.seal(seals::immutable, ec);
    CHECK(ec == std::errc::device_or_resource_busy);
    CHECK_THROWS_WITH(memory.seal(seals::immutable), doctest::Contains("seal shared memory: "));
    mapping = SharedMapping();
    memory.seal(seals::immutable);
    CHECK(memory.seals() == seals::immutable);
}

TEST_CASE("shared memory (POSIX): adopt wants a shrink seal always, and the seals asked for") {
    const testing::HandleLeakCheck leaks;
    std::error_code ec;
    // Write-sealed but shrinkable: its sender could truncate it under us.
    SharedMemory::adopt(foreign_memfd(4096, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL), {4096, Seal::write}, ec);
    CHECK(ec == errc::region_not_sealed);
    // The creator still writes it: not immutable.
    SharedMemory::adopt(foreign_memfd(4096, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL),
                        {4096, seals::immutable}, ec);
    CHECK(ec == errc::region_not_sealed);
    // ... but it is what a pool's receiver asks for.
    const SharedMemory pool = SharedMemory::adopt(
        foreign_memfd(4096, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL),
        {4096, seals::creator_writes}, ec);
    CHECK_FALSE(ec);
    CHECK(pool.seals() == seals::creator_writes);
    // A memfd made without sealing allowed is sealed against further seals
    // only: anything can still happen to it.
    const int unsealable = ::memfd_create("unsealable", MFD_CLOEXEC);
    REQUIRE(unsealable >= 0);
    SharedMemory::adopt(OwnedHandle(unsealable), {0, Seal::shrink}, ec);
    CHECK(ec == errc::region_not_sealed);
}

} // TEST_SUITE
