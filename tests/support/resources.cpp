// Test support: the portable part.
#include "resources.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <system_error>

namespace testing {

HandleLeakCheck::HandleLeakCheck() : at_start_(count_open_handles()) {}
HandleLeakCheck::~HandleLeakCheck() {
    const std::size_t at_end = count_open_handles();
    CHECK_MESSAGE(at_end == at_start_, "open handles: ", at_start_, " at start, ", at_end, " at end");
}

std::string unique_tag(const char* purpose) {
    static std::atomic<unsigned> counter{0};
    return "localsock-test-" + std::to_string(current_pid()) + "-" + std::to_string(counter++) + "-" + purpose;
}

void check_client_reaches(localsock::LocalListener& listener, const localsock::LocalSocketName& name) {
    localsock::LocalStream client = localsock::LocalStream::connect(name);
    localsock::LocalStream server = listener.accept();
    client.write_all("x");
    char x = 0;
    server.read_exact(localsock::MutableBuffer(&x, 1));
    CHECK(x == 'x');
}

localsock::LocalSocketName unique_namespaced_name(const char* purpose) {
    return localsock::LocalSocketName::namespaced(unique_tag(purpose));
}

TempDir::TempDir() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        path_ = std::filesystem::temp_directory_path() /
                ("localsock-test-" + std::to_string(current_pid()) + "-" + std::to_string(random()));
        if (std::filesystem::create_directory(path_))
            return;
    }
    throw std::runtime_error("no temporary directory");
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace testing
