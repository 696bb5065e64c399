#include "resources.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <system_error>

#include <dirent.h>
#include <unistd.h>

namespace testing {

std::size_t count_open_descriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        throw std::system_error(errno, std::system_category(), "opendir /proc/self/fd");
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.')
            ++count;
    ::closedir(dir);
    return count - 1; // the directory stream's own descriptor
}

DescriptorLeakCheck::DescriptorLeakCheck() : at_start_(count_open_descriptors()) {}
DescriptorLeakCheck::~DescriptorLeakCheck() {
    const std::size_t at_end = count_open_descriptors();
    CHECK_MESSAGE(at_end == at_start_, "open descriptors: ", at_start_, " at start, ", at_end, " at end");
}

std::string unique_tag(const char* purpose) {
    static std::atomic<unsigned> counter{0};
    return "localsock-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + purpose;
}

localsock::LocalSocketName unique_namespaced_name(const char* purpose) {
    return localsock::LocalSocketName::namespaced(unique_tag(purpose));
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "localsock-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::system_error(errno, std::system_category(), "mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string read_whole_file(int fd) {
    std::string content;
    char chunk[256];
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(fd, chunk, sizeof chunk, offset);
        if (n < 0)
            throw std::system_error(errno, std::system_category(), "pread");
        if (n == 0)
            return content;
        content.append(chunk, static_cast<std::size_t>(n));
        offset += n;
    }
}

} // namespace testing
