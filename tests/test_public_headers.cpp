// Unit test: the public headers stand alone and leak no platform headers.
// The umbrella header comes first so nothing else can have pulled those in.
// (<unistd.h> is not checked: libstdc++'s <memory> includes it itself.)
#include <localsock/localsock.hpp>

#if defined(_SYS_SOCKET_H) || defined(_SYS_UN_H) || defined(_FCNTL_H) || defined(_WINDOWS_) || \
    defined(_WINSOCKAPI_) || defined(_WINSOCK2API_)
#  error "a public localsock header includes a platform header"
#endif

#include <localsock/fmt.hpp>

#include <doctest/doctest.h>

#include <type_traits>

TEST_SUITE("unit") {

TEST_CASE("public headers: value and owner types behave as documented") {
    static_assert(!std::is_copy_constructible_v<localsock::OwnedHandle>);
    static_assert(std::is_nothrow_move_constructible_v<localsock::OwnedHandle>);
    static_assert(!std::is_copy_constructible_v<localsock::LocalStream>);
    static_assert(std::is_nothrow_move_constructible_v<localsock::LocalStream>);
    static_assert(!std::is_copy_constructible_v<localsock::LocalListener>);
    static_assert(std::is_nothrow_move_constructible_v<localsock::LocalListener>);
    static_assert(std::is_trivially_copyable_v<localsock::BorrowedHandle>);
    static_assert(std::is_copy_constructible_v<localsock::LocalSocketName>);

    CHECK(fmt::format("{}", localsock::LocalSocketName::namespaced("bus")) == "@bus");
    localsock::PeerCredentials peer;
    peer.pid = 42;
    peer.uid = 1000;
    CHECK(fmt::format("{}", peer) == "pid 42 uid 1000");
}

} // TEST_SUITE
