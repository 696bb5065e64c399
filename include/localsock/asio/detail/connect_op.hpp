// Private: async_connect. A local connect finishes at once unless the
// server's backlog is full (POSIX) or every pipe instance is busy (Windows);
// neither offers a readiness to wait for, so the connect is tried again on a
// timer, backing off from 1 ms to 32 ms, until the options' busy_timeout.
// The thread never blocks, and cancelling stops the wait at once.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <system_error>
#include <utility>

namespace localsock::asio_detail {

template <class State>
class ConnectOp {
public:
    ConnectOp(std::shared_ptr<State> state, LocalSocketName name, ConnectOptions options)
        : state_(std::move(state)), name_(std::move(name)), options_(std::move(options)) {
        options_.nonblocking = true;
        deadline_ = std::chrono::steady_clock::now() + std::max(options_.busy_timeout, std::chrono::milliseconds(0));
        generation_ = state_->generation();
    }

    template <class Self>
    void operator()(Self& self) {
        if (posted_)
            return self.complete(error_);
        attempt(self, true);
    }

    template <class Self>
    void operator()(Self& self, net_error_code waited) {
        if (waited)
            return self.complete(waited);
        if (state_->generation() != generation_) // closed while waiting
            return self.complete(operation_aborted());
        attempt(self, false);
    }

private:
    template <class Self>
    void attempt(Self& self, bool initiating) {
        std::error_code ec;
        if (state_->is_open()) {
            ec = std::make_error_code(std::errc::already_connected);
        } else {
            auto connected = State::sync_type::connect(name_, options_, ec);
            if (!ec)
                state_->adopt(std::move(connected), ec);
            else if (would_block(ec)) {
                const auto now = std::chrono::steady_clock::now();
                if (now < deadline_) {
                    self.reset_cancellation_state(net::enable_total_cancellation());
                    auto& timer = state_->retry_timer();
                    timer.expires_after(std::min<std::chrono::steady_clock::duration>(backoff_, deadline_ - now));
                    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(32));
                    timer.async_wait(std::move(self));
                    return;
                }
                ec = std::make_error_code(std::errc::timed_out);
            }
        }
        error_ = to_net_error(ec);
        if (initiating) {
            posted_ = true;
            net::post(std::move(self));
            return;
        }
        self.complete(error_);
    }

    std::shared_ptr<State> state_;
    LocalSocketName name_;
    ConnectOptions options_;
    std::chrono::steady_clock::time_point deadline_;
    std::chrono::milliseconds backoff_{1};
    unsigned generation_ = 0;
    net_error_code error_;
    bool posted_ = false;
};

template <class State, class Token>
auto start_connect(const std::shared_ptr<State>& state, const LocalSocketName& name, const ConnectOptions& options,
                   Token&& token) {
    auto& io_object = state->retry_timer();
    return net::async_compose<Token, void(net_error_code)>(ConnectOp<State>(state, name, options), token, io_object);
}

} // namespace localsock::asio_detail
