// libFuzzer: LocalSocketName::parse and the name constructors over arbitrary
// text (a peer or a command line controls it). Beyond not crashing: a name
// that parses obeys the rules the constructors promise (not empty, no NUL,
// within the platform's limit for its kind), its text form parses back to
// the same name, and the throwing and error-code forms agree.
#include <localsock/error.hpp>
#include <localsock/name.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

using namespace localsock;

namespace {

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_name: property violated: %s\n", what);
        std::abort();
    }
}

// What every valid name must be.
void check_valid(const LocalSocketName& name) {
    require(!name.empty(), "a valid name is not empty");
    require(name.is_namespaced() != name.is_filesystem(), "a name has exactly one kind");
    const auto kind = name.is_namespaced() ? LocalSocketName::Kind::namespaced : LocalSocketName::Kind::filesystem;
    require(LocalSocketName::supports(kind), "a name's kind is supported");
    require(name.value().size() <= LocalSocketName::max_length(kind), "a name fits the platform's limit");
    require(name.value().find('\0') == std::string::npos, "a name holds no NUL");
}

// to_string() is what parse() reads, for every valid name (a path that
// begins with '@' included: it is written ./@path).
void check_round_trip(const LocalSocketName& name) {
    const std::string text = name.to_string();
    std::error_code ec;
    const LocalSocketName again = LocalSocketName::parse(text, ec);
    require(!ec, "to_string() of a valid name parses");
    require(again == name, "to_string() parses back to the same name");
}

// The throwing form throws exactly when the error-code form fails, with its code.
template <class Make>
void check_forms_agree(std::error_code ec, Make make) {
    try {
        (void)make();
        require(!ec, "the throwing form throws when the error-code form fails");
    } catch (const std::system_error& e) {
        require(ec && e.code() == ec, "the throwing form throws the same code");
    } catch (const std::bad_alloc&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::error_code ec;

    const LocalSocketName parsed = LocalSocketName::parse(text, ec);
    if (ec) {
        require(parsed.empty(), "a failed parse yields an empty name");
    } else {
        check_valid(parsed);
        check_round_trip(parsed);
    }
    check_forms_agree(ec, [&] { return LocalSocketName::parse(text); });

    const LocalSocketName bus = LocalSocketName::namespaced(text, ec);
    if (!ec) {
        check_valid(bus);
        require(bus.is_namespaced(), "namespaced() makes a namespaced name");
        check_round_trip(bus);
    }
    check_forms_agree(ec, [&] { return LocalSocketName::namespaced(text); });

    const LocalSocketName file = LocalSocketName::filesystem(std::string(text), ec);
    if (!ec) {
        check_valid(file);
        require(file.is_filesystem(), "filesystem() makes a filesystem name");
        check_round_trip(file);
    }
    return 0;
}
