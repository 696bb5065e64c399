// Test support: descriptor accounting, unique names, temporary directories.
#pragma once

#include <localsock/name.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace testing {

// Descriptors open in this process right now.
std::size_t count_open_descriptors();

// Put one at the top of every test that touches descriptors: on scope exit it
// checks that the process holds exactly as many descriptors as at the start.
class DescriptorLeakCheck {
public:
    DescriptorLeakCheck();
    ~DescriptorLeakCheck();
    DescriptorLeakCheck(const DescriptorLeakCheck&) = delete;
    DescriptorLeakCheck& operator=(const DescriptorLeakCheck&) = delete;

private:
    std::size_t at_start_;
};

// Unique within this machine for the life of the test run (pid + counter);
// tests run in parallel processes.
std::string unique_tag(const char* purpose);
localsock::LocalSocketName unique_namespaced_name(const char* purpose);

// A private directory, removed with its contents at scope exit.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const char* name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Bytes of a descriptor's file from offset 0 (for memfds and files).
std::string read_whole_file(int fd);

} // namespace testing
