// LocalSocketName::per_user: the checks of the application's name, the name
// each platform picks, and a server and a client meeting through it. (The
// socket-file branch on POSIX: posix/test_user_names_files.cpp.)
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <string>
#include <vector>

using namespace localsock;
using Kind = LocalSocketName::Kind;

TEST_SUITE("unit") {

TEST_CASE("per-user names: the application's name is checked before anything else") {
    const std::vector<std::pair<std::string, std::error_code>> refused = {
        {"", errc::empty_name},
        {std::string(65, 'a'), errc::name_too_long},
        {".hidden", errc::name_invalid_character},
        {"..", errc::name_invalid_character},
        {"a/b", errc::name_invalid_character},
        {"a\\b", errc::name_invalid_character},
        {"a b", errc::name_invalid_character},
        {"a:b", errc::name_invalid_character},
        {std::string("a\0b", 3), errc::name_invalid_character},
        {"caf\xc3\xa9", errc::name_invalid_character},
    };
    for (const auto& [application, expected] : refused) {
        CAPTURE(application);
        std::error_code ec;
        CHECK(LocalSocketName::per_user(application, ec).empty());
        CHECK(ec == expected);
        CHECK(LocalSocketName::per_user(application, Kind::filesystem, ec).empty());
        CHECK(ec == expected);
        CHECK_THROWS_AS(LocalSocketName::per_user(application), std::system_error);
    }
    CHECK_THROWS_WITH_AS(LocalSocketName::per_user("a/b"),
                         "localsock: per-user name for 'a/b': the local socket name contains a character this "
                         "platform forbids",
                         std::system_error);
    std::error_code ec;
    CHECK_FALSE(LocalSocketName::per_user(std::string(64, 'a') , ec).empty());
    CHECK(!ec);
    CHECK_FALSE(LocalSocketName::per_user("My_App-2.0", ec).empty());
    CHECK(!ec);
}

TEST_CASE("per-user names: namespaced where the platform has it, with the user in it") {
    // Linux: "@app.<uid>"; Windows: "\\.\pipe\app.<SID>". Elsewhere the
    // namespaced preference falls back to a socket file.
    const LocalSocketName name = LocalSocketName::per_user("localsock-test");
    if (LocalSocketName::supports(Kind::namespaced)) {
        CHECK(name.is_namespaced());
        CHECK(name.value() == "localsock-test." + testing::current_user_id());
    } else {
        CHECK(name.is_filesystem());
    }
    std::error_code ec;
    CHECK(LocalSocketName::per_user("localsock-test", ec) == name);
    CHECK(!ec);
    // Windows has no socket files: the filesystem preference falls back.
    if (!LocalSocketName::supports(Kind::filesystem))
        CHECK(LocalSocketName::per_user("localsock-test", Kind::filesystem) == name);
}

} // TEST_SUITE

TEST_SUITE("ipc") {

TEST_CASE("per-user names: a server and a client meet through the same per-user name") {
    const testing::HandleLeakCheck leaks;
    const std::string application = testing::unique_tag("per-user");
    LocalListener listener = LocalListener::bind(LocalSocketName::per_user(application));
    testing::check_client_reaches(listener, LocalSocketName::per_user(application));
}

} // TEST_SUITE
