// localsock: local sockets and handle passing, one API on every OS.
#pragma once

#include <localsock/buffer.hpp>
#include <localsock/config.hpp>
#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/listener.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>
