#include "harness.hpp"
#include "platform.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace bench {

std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count) {
    std::vector<localsock::OwnedHandle> handles;
    for (std::size_t i = 0; i < count; ++i) {
        handles.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!handles.back())
            fail("open /dev/null");
    }
    return handles;
}

} // namespace bench
