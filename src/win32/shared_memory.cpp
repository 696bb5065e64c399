// Shared memory on Windows: pagefile-backed sections. Windows has no seals;
// what they promise is built from two facts (as Chromium does it):
//  - a section never changes size once created (shrink, grow, seal hold
//    from the start);
//  - a section created with an empty DACL grants access only through
//    handles duplicated from existing ones: once the only handles passed on
//    are read-only (seal(Seal::write or future_write) replaces ours with one),
//    no handle with write access can ever be made from them again.
// adopt() checks exactly that: a pagefile-backed (not image, not file)
// section whose handle lacks write access and cannot be duplicated with it.
#include "object_type.hpp"
#include "win32.hpp"

#include <localsock/error.hpp>
#include <localsock/shared_memory.hpp>

#include <winternl.h>

namespace localsock {

namespace {

using win32::last_error;

constexpr ACCESS_MASK write_access = SECTION_MAP_WRITE | SECTION_EXTEND_SIZE | WRITE_DAC | WRITE_OWNER;
constexpr ACCESS_MASK read_only_access = SECTION_MAP_READ | SECTION_QUERY;

// NtQuerySection's SectionBasicInformation; ntdll, not in the SDK headers.
struct SectionBasicInformation {
    PVOID base_address;
    ULONG allocation_attributes;
    LARGE_INTEGER maximum_size;
};
using NtQuerySectionFunction = LONG(NTAPI*)(HANDLE, int, PVOID, ULONG, PULONG);

bool query_section(HANDLE section, SectionBasicInformation& info) noexcept {
    static const auto query = reinterpret_cast<NtQuerySectionFunction>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQuerySection")));
    return query != nullptr && query(section, 0 /* SectionBasicInformation */, &info, sizeof info, nullptr) == 0;
}

bool is_section(HANDLE handle) noexcept {
    try {
        return win32::object_type(handle) == L"Section";
    } catch (const std::bad_alloc&) {
        return false;
    }
}

ACCESS_MASK granted_access(HANDLE handle) noexcept {
    PUBLIC_OBJECT_BASIC_INFORMATION info{};
    ULONG length = 0;
    if (::NtQueryObject(handle, ObjectBasicInformation, &info, sizeof info, &length) != 0)
        return ~ACCESS_MASK(0); // unknown: assume the worst
    return info.GrantedAccess;
}

// Whether anyone holding this handle could get write access to the section.
bool writable_through(HANDLE handle) noexcept {
    if ((granted_access(handle) & write_access) != 0)
        return true;
    HANDLE upgraded = nullptr;
    if (::DuplicateHandle(::GetCurrentProcess(), handle, ::GetCurrentProcess(), &upgraded, SECTION_MAP_WRITE,
                          FALSE, 0)) {
        ::CloseHandle(upgraded);
        return true;
    }
    return false;
}

} // namespace

SharedMapping::~SharedMapping() {
    if (data_ != nullptr)
        ::UnmapViewOfFile(data_);
}

SharedMemory SharedMemory::create(std::size_t size, std::string_view, std::error_code& ec) noexcept {
    ec.clear();
    if (size == 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    // An empty DACL (not a null one, which would admit everybody): nobody
    // can open the section anew, and duplicates get no more access than
    // their source had. Our handle has all access from the creation.
    ACL empty_dacl;
    SECURITY_DESCRIPTOR descriptor;
    if (!::InitializeAcl(&empty_dacl, sizeof empty_dacl, ACL_REVISION) ||
        !::InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION) ||
        !::SetSecurityDescriptorDacl(&descriptor, TRUE, &empty_dacl, FALSE)) {
        ec = last_error();
        return {};
    }
    SECURITY_ATTRIBUTES attributes{sizeof attributes, &descriptor, FALSE};
    const auto large = static_cast<std::uint64_t>(size);
    const HANDLE section = ::CreateFileMappingW(INVALID_HANDLE_VALUE, &attributes, PAGE_READWRITE | SEC_COMMIT,
                                                static_cast<DWORD>(large >> 32), static_cast<DWORD>(large), nullptr);
    if (section == nullptr) {
        ec = last_error();
        return {};
    }
    return SharedMemory(OwnedHandle(section), size);
}

SharedMemory SharedMemory::adopt(OwnedHandle handle, const SharedMemoryRequirements& requirements,
                                 std::error_code& ec) noexcept {
    ec.clear();
    SectionBasicInformation info{};
    if (!is_section(handle.get()) || !query_section(handle.get(), info) ||
        (info.allocation_attributes & (SEC_IMAGE | SEC_FILE)) != 0) {
        // Image sections map executables; file-backed ones change with
        // their file, which the sender may still write.
        ec = make_error_code(errc::not_shared_memory);
        return {};
    }
    // Windows reports a section's size rounded up to whole pages (as
    // Chromium notes): a required size matches the section whose rounded
    // size is its own rounded up, and only that many bytes are mapped.
    const auto section_size = static_cast<std::uint64_t>(info.maximum_size.QuadPart);
    SYSTEM_INFO system{};
    ::GetSystemInfo(&system);
    const std::uint64_t page = system.dwPageSize;
    std::size_t size = static_cast<std::size_t>(section_size);
    if (requirements.size != 0) {
        const std::uint64_t rounded = (std::uint64_t{requirements.size} + page - 1) / page * page;
        if (section_size != requirements.size && section_size != rounded) {
            ec = make_error_code(errc::region_size_mismatch);
            return {};
        }
        size = requirements.size;
    }
    const bool must_be_read_only = includes(requirements.seals, Seal::write) ||
                                   includes(requirements.seals, Seal::future_write);
    if (must_be_read_only && writable_through(handle.get())) {
        ec = make_error_code(errc::region_not_sealed);
        return {};
    }
    return SharedMemory(std::move(handle), size);
}

void SharedMemory::seal(Seal add, std::error_code& ec) noexcept {
    ec.clear();
    if (!handle_) {
        ec = win32::not_open();
        return;
    }
    if (!includes(add, Seal::write) && !includes(add, Seal::future_write))
        return; // a section's size is fixed already
    HANDLE read_only = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), handle_.get(), ::GetCurrentProcess(), &read_only, read_only_access,
                           FALSE, 0)) {
        ec = last_error();
        return;
    }
    handle_.reset(read_only);
}

Seal SharedMemory::seals(std::error_code& ec) const noexcept {
    ec.clear();
    if (!handle_) {
        ec = win32::not_open();
        return Seal::none;
    }
    Seal present = Seal::shrink | Seal::grow | Seal::seal;
    if ((granted_access(handle_.get()) & write_access) == 0)
        present = present | Seal::write | Seal::future_write;
    return present;
}

SharedMapping SharedMemory::map(MapAccess access, std::error_code& ec) const noexcept {
    ec.clear();
    if (!handle_) {
        ec = win32::not_open();
        return {};
    }
    const bool writable = access == MapAccess::read_write;
    void* data = ::MapViewOfFile(handle_.get(), writable ? FILE_MAP_WRITE : FILE_MAP_READ, 0, 0, size_);
    if (data == nullptr) {
        ec = ::GetLastError() == ERROR_ACCESS_DENIED ? std::make_error_code(std::errc::permission_denied)
                                                     : last_error();
        return {};
    }
    return SharedMapping(static_cast<std::byte*>(data), size_, writable);
}

} // namespace localsock
