// Benchmark support: the one thing the portable contenders need from the OS.
#pragma once

#include <localsock/handle.hpp>

#include <vector>

namespace bench {

// `count` handles of a cheap kernel object to pass around (/dev/null
// descriptors on POSIX, events on Windows).
std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count);

} // namespace bench
