// OwnedHandle on Windows: a kernel object HANDLE.
#include "win32.hpp"


namespace localsock {

void detail::close_native_handle(native_handle_type handle) noexcept { ::CloseHandle(handle); }

OwnedHandle OwnedHandle::duplicate(std::error_code& ec) const noexcept {
    ec.clear();
    // INVALID_HANDLE_VALUE is also the current-process pseudo handle: never
    // let it reach DuplicateHandle.
    if (!valid() || handle_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    HANDLE copy = nullptr;
    const HANDLE self = ::GetCurrentProcess();
    if (!::DuplicateHandle(self, handle_, self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
        ec = win32::last_error();
        return {};
    }
    return OwnedHandle(copy);
}

void OwnedHandle::set_inheritable(bool inheritable, std::error_code& ec) noexcept {
    ec.clear();
    if (!valid() || handle_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    if (!::SetHandleInformation(handle_, HANDLE_FLAG_INHERIT, inheritable ? HANDLE_FLAG_INHERIT : 0))
        ec = win32::last_error();
}

} // namespace localsock
