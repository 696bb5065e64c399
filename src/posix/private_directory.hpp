// Private: a fresh directory only this process's user can enter, created
// beside a socket path. A listener binds, sets the mode and listens in there,
// where nobody can swap its file for a link, and only then moves the file into
// place: the public path never names a socket that is not yet listening, nor
// one with other permissions than asked.
#pragma once

#include "address.hpp"

#include <localsock/handle.hpp>

#include <string>
#include <system_error>

namespace localsock::posix {

class PrivateDirectory {
public:
    // The one entry we ever create inside it.
    static constexpr const char* entry = "s";

    PrivateDirectory() = default;
    PrivateDirectory(const PrivateDirectory&) = delete;
    PrivateDirectory& operator=(const PrivateDirectory&) = delete;
    // Removes `entry` (whatever it holds by then: our unpublished socket, or
    // the stale file a reclaim swapped out) and the directory.
    ~PrivateDirectory();

    // mkdirat(parent, ".lsXXXXXX", 0700) with a random name, then checks that
    // what we opened is ours and private (someone may have swapped the name).
    bool create(int parent, std::error_code& ec) noexcept;
    int get() const noexcept { return directory_.get(); }

    // An address for `entry`. Linux: "/proc/self/fd/N/s", through the
    // directory's descriptor, so that no rename of the path can redirect the
    // bind (getsockname() and `ss -x` show that name); elsewhere the text
    // "<parent_path>/.lsXXXXXX/s".
    bool address(const std::string& parent_path, SocketAddress& out, std::error_code& ec) const noexcept;

private:
    int parent_ = -1;
    char name_[16] = {};
    OwnedHandle directory_;
};

} // namespace localsock::posix
