// Contender "async-asio": an asio::local::stream_protocol server on one
// io_context thread, with callbacks, written as Asio's own echo example is
// (async_read_some, then asio::async_write of what came, then read again).
// Asio has no descriptor passing: the handle workloads report unsupported.
#include "harness.hpp"
#include "posix_io.hpp"

#include <asio.hpp>

#include <memory>

#include <unistd.h>

namespace bench {

const char* const contender_name = "async-asio";

bool supports(Workload workload) { return workload == Workload::pingpong || workload == Workload::fanin; }

namespace {

using asio::local::stream_protocol;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(stream_protocol::socket socket) : socket_(std::move(socket)) {}

    void read() {
        socket_.async_read_some(asio::buffer(buffer_),
                                [this, self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                                    if (ec == asio::error::eof)
                                        return; // the client is done
                                    if (ec)
                                        fail("read: " + ec.message());
                                    write(n);
                                });
    }

private:
    void write(std::size_t n) {
        asio::async_write(socket_, asio::buffer(buffer_, n),
                          [this, self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                              if (ec)
                                  fail("write: " + ec.message());
                              read();
                          });
    }

    stream_protocol::socket socket_;
    char buffer_[echo_buffer_bytes];
};

// Accepts `left` more clients; the io_context runs out of work, and run()
// returns, when the last of them has gone.
void accept(stream_protocol::acceptor& acceptor, std::size_t left) {
    acceptor.async_accept([&acceptor, left](const asio::error_code& ec, stream_protocol::socket socket) {
        if (ec)
            fail("accept: " + ec.message());
        std::make_shared<Session>(std::move(socket))->read();
        if (left > 1)
            accept(acceptor, left - 1);
    });
}

} // namespace

void run_server(const Options& o) {
    posix::DescriptorLeakCheck leak_check; // every descriptor it opened is closed at the end
    asio::io_context io(1);
    ::unlink(o.name.c_str());
    stream_protocol::acceptor acceptor(io, stream_protocol::endpoint(o.name));
    accept(acceptor, o.clients);
    io.run();
    ::unlink(o.name.c_str());
}

} // namespace bench
