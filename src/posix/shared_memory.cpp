// Shared memory on POSIX: memfds with seals on Linux; elsewhere an unlinked
// POSIX shared memory object without seals (written, untested).
#include "descriptor.hpp"

#include <localsock/error.hpp>
#include <localsock/shared_memory.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#  if !defined(MFD_NOEXEC_SEAL)
#    define MFD_NOEXEC_SEAL 0x0008U // Linux 6.3
#  endif
#  if !defined(F_SEAL_FUTURE_WRITE)
#    define F_SEAL_FUTURE_WRITE 0x0010 // Linux 5.1
#  endif
#endif

namespace localsock {

namespace {

using posix::last_error;

#if defined(__linux__)
struct SealBit {
    Seal seal;
    int bit;
};
constexpr SealBit seal_bits[] = {
    {Seal::shrink, F_SEAL_SHRINK}, {Seal::grow, F_SEAL_GROW},        {Seal::write, F_SEAL_WRITE},
    {Seal::future_write, F_SEAL_FUTURE_WRITE}, {Seal::seal, F_SEAL_SEAL},
};

int to_bits(Seal seals) noexcept {
    int bits = 0;
    for (const SealBit& entry : seal_bits)
        if (includes(seals, entry.seal))
            bits |= entry.bit;
    return bits;
}

Seal from_bits(int bits) noexcept {
    Seal seals = Seal::none;
    for (const SealBit& entry : seal_bits)
        if ((bits & entry.bit) != 0)
            seals = seals | entry.seal;
    return seals;
}

// An anonymous, sealable, close-on-exec memfd; not executable where the
// kernel knows the flag (6.3+; older kernels refuse it with EINVAL).
int create_memfd(const char* name) noexcept {
    const int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
    if (fd >= 0 || errno != EINVAL)
        return fd;
    return ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}
#endif

} // namespace

SharedMapping::~SharedMapping() {
    if (data_ != nullptr)
        ::munmap(data_, size_);
}

SharedMemory SharedMemory::create(std::size_t size, std::string_view name, std::error_code& ec) noexcept {
    ec.clear();
    if (size == 0 || size > static_cast<std::size_t>(PTRDIFF_MAX)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
#if defined(__linux__)
    // The name is for /proc/PID/fd only: cut to what the kernel takes.
    char label[250] = {};
    std::copy_n(name.data(), std::min(name.size(), sizeof label - 1), label);
    const int fd = create_memfd(label);
#else
    (void)name;
    // No memfd: an object of a random name, unlinked at once (O_EXCL: not
    // somebody else's). No seals here.
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        char random_name[64];
        std::snprintf(random_name, sizeof random_name, "/localsock-%ld-%lx", static_cast<long>(::getpid()),
                      static_cast<unsigned long>(arc4random()));
        fd = ::shm_open(random_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            ::shm_unlink(random_name);
        else if (errno != EEXIST)
            break;
    }
#endif
    if (fd < 0) {
        ec = last_error();
        return {};
    }
    OwnedHandle handle(fd);
    if (posix::retry_on_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(size)); }) != 0) {
        ec = last_error();
        return {};
    }
    return SharedMemory(std::move(handle), size);
}

SharedMemory SharedMemory::adopt(OwnedHandle handle, const SharedMemoryRequirements& requirements,
                                 std::error_code& ec) noexcept {
    ec.clear();
    struct stat status {};
    if (::fstat(handle.get(), &status) != 0) {
        ec = last_error();
        return {};
    }
    // A regular file is not enough: a region is sealable (a memfd), else
    // nothing stops its sender from truncating it under our mappings.
    if (!S_ISREG(status.st_mode)) {
        ec = make_error_code(errc::not_shared_memory);
        return {};
    }
#if defined(__linux__)
    // Files that can carry seals (memfds, and tmpfs files since Linux 6.x)
    // are shared memory; whether theirs suffice is checked below. Others
    // (EINVAL) are not.
    const int bits = ::fcntl(handle.get(), F_GET_SEALS);
    if (bits < 0) {
        ec = errno == EINVAL ? make_error_code(errc::not_shared_memory) : last_error();
        return {};
    }
    const Seal present = from_bits(bits);
#else
    const Seal present = Seal::none;
#endif
    const auto size = static_cast<std::size_t>(status.st_size);
    if (requirements.size != 0 && size != requirements.size) {
        ec = make_error_code(errc::region_size_mismatch);
        return {};
    }
    if (!includes(present, requirements.seals | Seal::shrink)) {
        ec = make_error_code(errc::region_not_sealed);
        return {};
    }
    return SharedMemory(std::move(handle), size);
}

void SharedMemory::seal(Seal add, std::error_code& ec) noexcept {
    ec.clear();
#if defined(__linux__)
    // A write seal waits (in the kernel, up to ~150 ms) for page references
    // held by I/O in flight, the LRU batches or page migration to go; a
    // reference that outlives that wait makes it EBUSY although no writable
    // mapping exists (seen about once in 10,000 seals of 1 MiB regions just
    // written through a mapping). Asked again, the kernel drains the LRU
    // batches again and it goes through. A writable mapping still mapped is
    // EBUSY at once, every time: that answer comes back after three tries.
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (::fcntl(handle_.get(), F_ADD_SEALS, to_bits(add)) == 0)
            return;
        ec = last_error();
        if (ec != std::errc::device_or_resource_busy)
            return;
    }
#else
    ec = add == Seal::none ? std::error_code() : std::make_error_code(std::errc::not_supported);
#endif
}

Seal SharedMemory::seals(std::error_code& ec) const noexcept {
    ec.clear();
#if defined(__linux__)
    const int bits = ::fcntl(handle_.get(), F_GET_SEALS);
    if (bits < 0) {
        ec = last_error();
        return Seal::none;
    }
    return from_bits(bits);
#else
    if (!handle_)
        ec = std::make_error_code(std::errc::bad_file_descriptor);
    return Seal::none;
#endif
}

SharedMapping SharedMemory::map(MapAccess access, std::error_code& ec) const noexcept {
    ec.clear();
    if (!handle_) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    const bool writable = access == MapAccess::read_write;
    void* data = ::mmap(nullptr, size_, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, handle_.get(), 0);
    if (data == MAP_FAILED) {
        // A write-sealed region refuses writable shared mappings (EPERM).
        ec = errno == EPERM ? std::make_error_code(std::errc::permission_denied) : last_error();
        return {};
    }
    return SharedMapping(static_cast<std::byte*>(data), size_, writable);
}

} // namespace localsock
