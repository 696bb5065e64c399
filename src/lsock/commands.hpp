// lsock: the commands. Each returns the exit status (0 done, 1 failed) or
// throws Failure (1) / UsageError (2).
#pragma once

#include "arguments.hpp"

namespace lsock {

int run_connect(const Arguments& arguments);
int run_listen(const Arguments& arguments);
int run_pair(const Arguments& arguments);
int run_relay(const Arguments& arguments);
int run_info(const Arguments& arguments);

} // namespace lsock
