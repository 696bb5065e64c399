// LocalSocketName::per_user's socket-file branch (macOS, the BSDs; Linux
// when asked): $XDG_RUNTIME_DIR when it is this user's and private, else a
// private directory under $TMPDIR or /tmp, created and checked.
#include <doctest/doctest.h>

#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace localsock;
using Kind = LocalSocketName::Kind;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, for nullopt) an environment variable for one scope.
class ScopedVariable {
public:
    ScopedVariable(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~ScopedVariable() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedVariable(const ScopedVariable&) = delete;
    ScopedVariable& operator=(const ScopedVariable&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

const std::string user_directory = "localsock-" + std::to_string(::geteuid());

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("per-user socket files: $XDG_RUNTIME_DIR when it is this user's and private") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir runtime; // 0700, ours
    ::chmod(runtime.path().c_str(), 0700);
    const ScopedVariable xdg("XDG_RUNTIME_DIR", runtime.path().string() + "/");
    const LocalSocketName name = LocalSocketName::per_user("app", Kind::filesystem);
    CHECK(name.is_filesystem());
    CHECK(name.value() == (runtime / "app.sock").string());

    // A server and a client meet there.
    LocalListener listener = LocalListener::bind(name);
    testing::check_client_reaches(listener, LocalSocketName::per_user("app", Kind::filesystem));
}

TEST_CASE("per-user socket files: otherwise <tmp>/localsock-<uid>, created 0700") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir runtime, tmp;
    // Not private (as after `su`, another user's): not used.
    ::chmod(runtime.path().c_str(), 0755);
    for (const std::optional<std::string>& xdg :
         {std::optional<std::string>(), std::optional<std::string>("relative/dir"),
          std::optional<std::string>(runtime.path().string()),
          std::optional<std::string>((runtime / "missing").string())}) {
        CAPTURE(xdg.value_or("(unset)"));
        const ScopedVariable xdg_variable("XDG_RUNTIME_DIR", xdg);
        const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
        const LocalSocketName name = LocalSocketName::per_user("app", Kind::filesystem);
        CHECK(name.value() == (tmp / user_directory.c_str() / "app.sock").string());
        CHECK(mode_of(tmp / user_directory.c_str()) == 0700);
    }
    // $TMPDIR unset or relative: /tmp.
    const ScopedVariable xdg("XDG_RUNTIME_DIR", std::nullopt);
    const ScopedVariable tmpdir("TMPDIR", "relative");
    CHECK(LocalSocketName::per_user("app", Kind::filesystem).value() == "/tmp/" + user_directory + "/app.sock");
}

TEST_CASE("per-user socket files: a directory that is not private, or a parent others can rename in, is refused") {
    const testing::HandleLeakCheck leaks;
    const ScopedVariable xdg("XDG_RUNTIME_DIR", std::nullopt);
    const auto refused = [](const char* why) {
        CAPTURE(why);
        std::error_code ec;
        CHECK(LocalSocketName::per_user("app", Kind::filesystem, ec).empty());
        CHECK(ec == std::errc::permission_denied);
    };
    {
        const testing::TempDir tmp;
        const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
        fs::create_directory(tmp / user_directory.c_str());
        ::chmod((tmp / user_directory.c_str()).c_str(), 0755);
        refused("readable by others");
        CHECK_THROWS_WITH_AS(LocalSocketName::per_user("app", Kind::filesystem),
                             ("localsock: per-user name for 'app': " + (tmp / user_directory.c_str()).string() +
                              " (owner uid " + std::to_string(::geteuid()) +
                              ", mode 0755) is not a directory private to this user: Permission denied")
                                 .c_str(),
                             std::system_error);
        CHECK(mode_of(tmp / user_directory.c_str()) == 0755); // refused, not "repaired"
    }
    {
        const testing::TempDir tmp, elsewhere;
        const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
        fs::create_directory_symlink(elsewhere.path(), tmp / user_directory.c_str());
        refused("a symbolic link, even to a private directory of ours");
    }
    {
        const testing::TempDir tmp;
        const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
        std::ofstream(tmp / user_directory.c_str()) << "x";
        std::error_code ec;
        CHECK(LocalSocketName::per_user("app", Kind::filesystem, ec).empty());
        CHECK(ec); // a file, not a directory
    }
    {
        const testing::TempDir tmp;
        const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
        ::chmod(tmp.path().c_str(), 0777); // anyone may rename our directory away
        refused("a parent writable by others, not sticky");
        CHECK_FALSE(fs::exists(tmp / user_directory.c_str()));
        ::chmod(tmp.path().c_str(), 01777); // as /tmp: allowed
        CHECK(LocalSocketName::per_user("app", Kind::filesystem).is_filesystem());
        ::chmod(tmp.path().c_str(), 0700);
    }
}

TEST_CASE("per-user socket files: threads (or processes) making the directory at once all get it") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir tmp;
    const ScopedVariable xdg("XDG_RUNTIME_DIR", std::nullopt);
    const ScopedVariable tmpdir("TMPDIR", tmp.path().string());
    std::vector<std::string> names(8);
    std::vector<std::error_code> errors(names.size());
    {
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < names.size(); ++i)
            threads.emplace_back([&, i] {
                names[i] = LocalSocketName::per_user("app", Kind::filesystem, errors[i]).value();
            });
        for (std::thread& thread : threads)
            thread.join();
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        CHECK(!errors[i]);
        CHECK(names[i] == (tmp / user_directory.c_str() / "app.sock").string());
    }
    CHECK(mode_of(tmp / user_directory.c_str()) == 0700);
}

} // TEST_SUITE
