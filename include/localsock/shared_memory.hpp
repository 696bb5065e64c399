// localsock: shared memory that travels as a handle, sealed so that the
// receiver can trust what it maps.
//
// The creator makes a region (a memfd on Linux, a pagefile-backed section on
// Windows), writes into it, seals it and passes handle() with any send. The
// receiver adopts the handle with the size and the seals it requires:
// adopt() refuses anything else (a file, a pipe, a smaller or growable
// region, one the sender can still rewrite), so a region it accepted can
// neither shrink under its mappings (no SIGBUS, ever) nor change after it
// was checked, unless the receiver asked for a region the creator keeps
// writing (Seal::future_write).
#pragma once

#include <localsock/config.hpp>
#include <localsock/handle.hpp>

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

namespace localsock {

// What nobody may do to a region any more. POSIX: the memfd seals
// (F_SEAL_*). Windows has no seals: a section cannot shrink or grow at all,
// and `write` / `future_write` mean that no handle to it can be opened or
// duplicated with write access (the section has an empty DACL and is passed
// through read-only handles, as Chromium does); the creator's mappings that
// exist already keep writing.
enum class Seal : unsigned {
    none = 0,
    shrink = 1u << 0,       // the size cannot go down (mappings cannot fault)
    grow = 1u << 1,         // the size cannot go up
    write = 1u << 2,        // nobody writes: the contents are final
    future_write = 1u << 3, // only mappings that exist already write (the creator's)
    seal = 1u << 4,         // no more seals can be added or removed
};
constexpr Seal operator|(Seal a, Seal b) noexcept {
    return static_cast<Seal>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr Seal operator&(Seal a, Seal b) noexcept {
    return static_cast<Seal>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
// Whether every seal of `wanted` is in `present`.
constexpr bool includes(Seal present, Seal wanted) noexcept { return (present & wanted) == wanted; }

namespace seals {
// Final contents: what a receiver that validates once and reads later needs.
inline constexpr Seal immutable = Seal::shrink | Seal::grow | Seal::write | Seal::seal;
// The creator keeps writing through its mapping, nobody else can: a buffer
// pool's region. Fixed size, so no mapping faults.
inline constexpr Seal creator_writes = Seal::shrink | Seal::grow | Seal::future_write | Seal::seal;
} // namespace seals

enum class MapAccess { read_only, read_write };

// A mapped view of a region, unmapped on destruction. Move-only.
class LOCALSOCK_API SharedMapping {
public:
    SharedMapping() noexcept = default;
    SharedMapping(SharedMapping&& other) noexcept;
    SharedMapping& operator=(SharedMapping&& other) noexcept;
    SharedMapping(const SharedMapping&) = delete;
    SharedMapping& operator=(const SharedMapping&) = delete;
    ~SharedMapping();

    // Empty for a read-only mapping: writing it would fault.
    std::span<std::byte> writable() const noexcept { return writable_ ? std::span(data_, size_) : std::span<std::byte>(); }
    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    std::size_t size() const noexcept { return size_; }
    bool is_mapped() const noexcept { return data_ != nullptr; }

private:
    friend class SharedMemory;
    SharedMapping(std::byte* data, std::size_t size, bool writable) noexcept
        : data_(data), size_(size), writable_(writable) {}
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    bool writable_ = false;
};

// What a receiver requires of a region before it maps it.
struct SharedMemoryRequirements {
    // The exact size (0: any size, reported by size()). Windows keeps a
    // section's size in whole pages only: there a region of this size
    // rounded up to pages is accepted, and this size is what is mapped.
    std::size_t size = 0;
    // Seals it must carry. Seal::shrink is always required, whatever this
    // says: without it the sender could truncate the region under the
    // receiver's mappings.
    Seal seals = seals::immutable;
};

// A shared memory region. Move-only; closes its handle on destruction
// (mappings stay valid: they hold the memory themselves).
//
// Threads: map(), size(), seals() and handle() from any number of threads;
// seal(), release(), moving and destruction need the object to itself.
class LOCALSOCK_API SharedMemory {
public:
    // A new region of `size` bytes (> 0), zero-filled, sealable, close-on-exec
    // (non-inheritable), not executable where the kernel can say so
    // (MFD_NOEXEC_SEAL). `name` shows in /proc/PID/fd (debugging only).
    static SharedMemory create(std::size_t size, std::string_view name = "localsock");
    static SharedMemory create(std::size_t size, std::string_view name, std::error_code& ec) noexcept;

    // Takes over a received handle if it is a region that meets
    // `requirements`; otherwise closes it and fails: errc::not_shared_memory
    // (a pipe, a socket, a file that cannot carry seals, an image or
    // file-backed section), errc::region_size_mismatch,
    // errc::region_not_sealed (a seal missing, or on Windows a handle that
    // can still be given write access).
    static SharedMemory adopt(OwnedHandle handle, const SharedMemoryRequirements& requirements);
    static SharedMemory adopt(OwnedHandle handle, const SharedMemoryRequirements& requirements,
                              std::error_code& ec) noexcept;

    SharedMemory() noexcept = default;
    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;

    bool is_open() const noexcept { return handle_.valid(); }
    std::size_t size() const noexcept { return size_; }

    // Adds seals (they cannot be removed). Seal::write fails with
    // std::errc::device_or_resource_busy while a writable mapping exists
    // (POSIX: EBUSY); Seal::future_write does not.
    void seal(Seal add);
    void seal(Seal add, std::error_code& ec) noexcept;
    Seal seals() const;
    Seal seals(std::error_code& ec) const noexcept;

    // Maps the whole region. read_write on a region sealed against writing
    // fails with std::errc::permission_denied.
    SharedMapping map(MapAccess access) const;
    SharedMapping map(MapAccess access, std::error_code& ec) const noexcept;

    // What to pass (send(..., {memory.handle()})). Windows: after
    // seal(Seal::write or future_write) this handle is read-only.
    BorrowedHandle handle() const noexcept { return handle_.borrow(); }
    OwnedHandle release() noexcept {
        size_ = 0;
        return OwnedHandle(handle_.release());
    }

private:
    SharedMemory(OwnedHandle handle, std::size_t size) noexcept : handle_(std::move(handle)), size_(size) {}
    OwnedHandle handle_;
    std::size_t size_ = 0;
};

} // namespace localsock
