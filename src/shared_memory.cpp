// Shared memory regions: the throwing forms and what every platform shares.
// The regions themselves are the backend's (src/posix/shared_memory.cpp,
// src/win32/shared_memory.cpp).
#include "operation_error.hpp"

#include <localsock/shared_memory.hpp>

#include <utility>

namespace localsock {

SharedMapping::SharedMapping(SharedMapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      writable_(std::exchange(other.writable_, false)) {}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
    if (this != &other) {
        SharedMapping old(std::move(*this)); // unmapped when it goes
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        writable_ = std::exchange(other.writable_, false);
    }
    return *this;
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : handle_(std::move(other.handle_)), size_(std::exchange(other.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
    handle_ = std::move(other.handle_);
    size_ = std::exchange(other.size_, 0);
    return *this;
}

SharedMemory SharedMemory::create(std::size_t size, std::string_view name) {
    std::error_code ec = detail::no_error();
    SharedMemory memory = create(size, name, ec);
    detail::throw_if_error(ec, "create shared memory", {});
    return memory;
}

SharedMemory SharedMemory::adopt(OwnedHandle handle, const SharedMemoryRequirements& requirements) {
    std::error_code ec = detail::no_error();
    SharedMemory memory = adopt(std::move(handle), requirements, ec);
    detail::throw_if_error(ec, "adopt shared memory", {});
    return memory;
}

void SharedMemory::seal(Seal add) {
    std::error_code ec = detail::no_error();
    seal(add, ec);
    detail::throw_if_error(ec, "seal shared memory", {});
}

Seal SharedMemory::seals() const {
    std::error_code ec = detail::no_error();
    const Seal present = seals(ec);
    detail::throw_if_error(ec, "read the seals of shared memory", {});
    return present;
}

SharedMapping SharedMemory::map(MapAccess access) const {
    std::error_code ec = detail::no_error();
    SharedMapping mapping = map(access, ec);
    detail::throw_if_error(ec, "map shared memory", {});
    return mapping;
}

} // namespace localsock
