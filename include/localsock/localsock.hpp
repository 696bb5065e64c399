// localsock: local sockets and handle passing, one API on every OS.
#pragma once

#include <localsock/activation.hpp>
#include <localsock/ancillary.hpp>
#include <localsock/buffer.hpp>
#include <localsock/buffer_pool.hpp>
#include <localsock/config.hpp>
#include <localsock/datagram.hpp>
#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/listener.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/shared_memory.hpp>
#include <localsock/stream.hpp>
#include <localsock/values.hpp>
