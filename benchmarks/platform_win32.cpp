#include "harness.hpp"
#include "platform.hpp"

#include <windows.h>

namespace bench {

std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count) {
    std::vector<localsock::OwnedHandle> handles;
    for (std::size_t i = 0; i < count; ++i) {
        const HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (event == nullptr)
            fail("CreateEvent");
        handles.emplace_back(event);
    }
    return handles;
}

} // namespace bench
