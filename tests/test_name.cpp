// Unit tests: LocalSocketName validation, parsing and the error category.
#include <doctest/doctest.h>

#include <localsock/localsock.hpp>

#include <string>
#include <vector>

using localsock::LocalSocketName;
using Kind = LocalSocketName::Kind;

TEST_SUITE("unit") {

TEST_CASE("names: the two kinds and their textual form") {
    const LocalSocketName ns = LocalSocketName::namespaced("my-service");
    CHECK(ns.is_namespaced());
    CHECK_FALSE(ns.is_filesystem());
    CHECK(ns.value() == "my-service");
    CHECK(ns.to_string() == "@my-service");

    CHECK(LocalSocketName::parse("@my-service") == ns);
    CHECK(LocalSocketName::parse(ns.to_string()) == ns);

    // Filesystem names exist except on Windows (pipes have no files); their
    // refusal there is checked in the next test case.
    if (LocalSocketName::supports(Kind::filesystem)) {
        const LocalSocketName fs = LocalSocketName::filesystem("/run/app.sock");
        CHECK(fs.is_filesystem());
        CHECK(fs.value() == "/run/app.sock");
        CHECK(fs.to_string() == "/run/app.sock");
        CHECK(LocalSocketName::parse("/run/app.sock") == fs);
        CHECK(LocalSocketName::parse("relative.sock").is_filesystem());
    }

    const LocalSocketName none;
    CHECK(none.empty());
    CHECK_FALSE(none.is_namespaced());
    CHECK_FALSE(none.is_filesystem());
}

TEST_CASE("names: to_string() round-trips through parse(), a path beginning with '@' included") {
    const auto round_trips = [](const LocalSocketName& name) {
        CAPTURE(name.to_string());
        std::error_code ec;
        const LocalSocketName back = LocalSocketName::parse(name.to_string(), ec);
        CHECK_FALSE(ec);
        CHECK(back == name);
        CHECK(back.kind() == name.kind());
        CHECK(back.value() == name.value());
    };
    std::vector<std::string> namespaced = {"x", "my-service", "@starts-with-at", "@@", "./dot-slash", "with space",
                                           "a@b", "pipe/with/slashes", "caf\xc3\xa9", std::string(1, '@')};
    if (LocalSocketName::supports(Kind::filesystem))
        namespaced.push_back("back\\slash"); // Windows forbids a backslash in a pipe name
    namespaced.push_back(std::string(LocalSocketName::max_length(Kind::namespaced), '@'));
    for (const std::string& value : namespaced)
        round_trips(LocalSocketName::namespaced(value));

    if (LocalSocketName::supports(Kind::filesystem)) {
        const std::size_t limit = LocalSocketName::max_length(Kind::filesystem);
        const std::vector<std::string> paths = {"@odd.sock", "./@odd.sock", "././@odd.sock", "@", "./@", "/abs/@x",
                                                "relative.sock", "./relative.sock", "a@b", ".@x", "../@x",
                                                "@/sub/dir.sock", std::string(limit, '@')};
        for (const std::string& value : paths)
            round_trips(LocalSocketName::filesystem(value));
        // The escaped form, and what it stands for.
        CHECK(LocalSocketName::filesystem("@odd.sock").to_string() == "./@odd.sock");
        CHECK(LocalSocketName::parse("./@odd.sock") == LocalSocketName::filesystem("@odd.sock"));
        CHECK(LocalSocketName::parse("@odd.sock").is_namespaced());
        CHECK(LocalSocketName::filesystem("./relative.sock").to_string() == "./relative.sock"); // untouched
    }
}

TEST_CASE("names: each kind is supported, with a length limit, or refused") {
    for (const Kind kind : {Kind::namespaced, Kind::filesystem}) {
        CAPTURE(static_cast<int>(kind));
        const auto make = [kind](const std::string& value, std::error_code& ec) {
            return kind == Kind::namespaced ? LocalSocketName::namespaced(value, ec)
                                            : LocalSocketName::filesystem(value, ec);
        };
        std::error_code ec;
        if (!LocalSocketName::supports(kind)) {
            CHECK(LocalSocketName::max_length(kind) == 0);
            CHECK(make("x", ec).empty());
            CHECK(ec == localsock::errc::name_kind_unsupported);
            CHECK(ec == std::errc::not_supported);
            continue;
        }
        const std::size_t limit = LocalSocketName::max_length(kind);
        REQUIRE(limit > 0);
        CHECK(make(std::string(limit, 'n'), ec).value().size() == limit); // longest: accepted whole
        CHECK_FALSE(ec);
        CHECK(make(std::string(limit + 1, 'n'), ec).empty()); // never truncated
        CHECK(ec == localsock::errc::name_too_long);
        CHECK(ec == std::errc::filename_too_long);
    }
}

TEST_CASE("names: bad names are rejected with a clear error, before any system call") {
    std::error_code ec;

    SUBCASE("empty") {
        CHECK(LocalSocketName::namespaced("", ec).empty());
        CHECK(ec == localsock::errc::empty_name);
        CHECK(ec == std::errc::invalid_argument);
        LocalSocketName::parse("@", ec);
        CHECK(ec == localsock::errc::empty_name);
        if (LocalSocketName::supports(Kind::filesystem)) { // not on Windows, see above
            LocalSocketName::filesystem("", ec);
            CHECK(ec == localsock::errc::empty_name);
            LocalSocketName::parse("", ec);
            CHECK(ec == localsock::errc::empty_name);
        }
    }
    SUBCASE("embedded NUL") {
        using namespace std::string_literals;
        LocalSocketName::namespaced("a\0b"s, ec);
        CHECK(ec == localsock::errc::name_contains_nul);
        CHECK(ec == std::errc::invalid_argument);
        if (LocalSocketName::supports(Kind::filesystem)) { // not on Windows
            LocalSocketName::filesystem("/tmp/a\0b"s, ec);
            CHECK(ec == localsock::errc::name_contains_nul);
        }
    }
    SUBCASE("the throwing form names the socket") {
        try {
            LocalSocketName::namespaced(std::string(300, 'y'));
            FAIL("no exception");
        } catch (const std::system_error& e) {
            CHECK(e.code() == localsock::errc::name_too_long);
            CHECK(std::string(e.what()).find("@yyyy") != std::string::npos);
            CHECK(std::string(e.what()).find("too long") != std::string::npos);
        }
    }
}

TEST_CASE("errors: the localsock category") {
    const std::error_code truncated = localsock::errc::handles_truncated;
    CHECK(truncated.category() == localsock::error_category());
    CHECK(std::string(truncated.category().name()) == "localsock");
    CHECK(truncated.message().find("handles") != std::string::npos);
    CHECK(std::error_code(localsock::errc::too_many_handles) == std::errc::argument_list_too_long);
    CHECK(std::error_code(localsock::errc::handles_need_data) == std::errc::invalid_argument);
    CHECK(std::error_code(localsock::errc::end_of_stream) != std::errc::invalid_argument);
}

TEST_CASE("buffers: views of caller memory") {
    std::string text = "hello";
    const localsock::ConstBuffer literal("hello");
    CHECK(literal.size() == 5); // no terminating NUL
    const localsock::MutableBuffer writable = localsock::buffer(text);
    CHECK(writable.data() == text.data());
    CHECK(writable.size() == 5);
    const std::vector<std::uint32_t> words{1, 2, 3};
    const localsock::ConstBuffer readable = localsock::buffer(words);
    CHECK(readable.size() == 12);
}

} // TEST_SUITE
