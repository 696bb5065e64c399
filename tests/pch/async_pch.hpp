// Precompiled for the Asio test files on Windows, which are built one object
// per file (see tests/meson.build): Asio, the layer and doctest are half of
// each file's compile time.
#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <doctest/doctest.h>
