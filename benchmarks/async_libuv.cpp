// Contender "async-libuv": a uv_pipe_t server on one uv loop, written the way
// a libuv user writes a fast one: each echo is tried with uv_try_write, and
// only what the socket does not take goes through uv_write (reading stops
// until it is out). Handles arrive on IPC pipes and are taken one by one with
// uv_accept, the only way libuv hands them out (then closed with uv_close).
#include "harness.hpp"
#include "posix_io.hpp"

#include <uv.h>

#include <string>

#include <unistd.h>

namespace bench {

const char* const contender_name = "async-libuv";

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

void check(int status, const char* what) {
    if (status < 0)
        fail(std::string(what) + ": " + uv_strerror(status));
}

struct Connection {
    uv_pipe_t pipe; // first: libuv's callbacks hand out its address
    uv_write_t write;
    std::uint64_t bytes = 0; // handle workloads: the ack goes after `count` messages
    char buffer[echo_buffer_bytes];
};

struct Server {
    Options o;
    uv_loop_t* loop = uv_default_loop();
    uv_pipe_t listener;
    std::size_t accepted = 0;
};
Server* server;

bool passes_handles() { return server->o.workload == Workload::handles1 || server->o.workload == Workload::handles64; }

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf);

void start_reading(uv_stream_t* stream) {
    check(uv_read_start(
              stream,
              [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
                  auto* c = reinterpret_cast<Connection*>(handle);
                  *buf = uv_buf_init(c->buffer, sizeof c->buffer);
              },
              on_read),
          "read start");
}

// Writes what uv_try_write can; the rest through uv_write, not reading meanwhile.
void send(Connection* c, const char* data, std::size_t size) {
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->pipe);
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(size));
    const int written = uv_try_write(stream, &buf, 1);
    if (written == static_cast<int>(size))
        return;
    if (written < 0 && written != UV_EAGAIN)
        check(written, "write");
    if (written > 0)
        buf = uv_buf_init(buf.base + written, buf.len - static_cast<unsigned>(written));
    uv_read_stop(stream);
    check(uv_write(&c->write, stream, &buf, 1,
                   [](uv_write_t* request, int status) {
                       check(status, "write");
                       start_reading(request->handle);
                   }),
          "write");
}

void take_handles(uv_pipe_t* pipe) {
    while (uv_pipe_pending_count(pipe) > 0) {
        auto* received = new uv_pipe_t;
        uv_pipe_init(server->loop, received, 0);
        check(uv_accept(reinterpret_cast<uv_stream_t*>(pipe), reinterpret_cast<uv_stream_t*>(received)),
              "accept handle");
        uv_close(reinterpret_cast<uv_handle_t*>(received), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    }
}

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    auto* c = reinterpret_cast<Connection*>(stream);
    if (n == UV_EOF) {
        uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* h) { delete reinterpret_cast<Connection*>(h); });
        return;
    }
    check(static_cast<int>(n), "read");
    if (n == 0) // libuv reports EAGAIN as an empty read
        return;
    if (!passes_handles())
        return send(c, buf->base, static_cast<std::size_t>(n));
    take_handles(&c->pipe);
    c->bytes += static_cast<std::uint64_t>(n);
    if (c->bytes == server->o.count * handle_message_bytes)
        send(c, "k", 1);
}

void on_connection(uv_stream_t* listener, int status) {
    check(status, "listen");
    auto* c = new Connection;
    uv_pipe_init(server->loop, &c->pipe, passes_handles());
    check(uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->pipe)), "accept");
    start_reading(reinterpret_cast<uv_stream_t*>(&c->pipe));
    if (++server->accepted == server->o.clients) // the loop ends when the last client has gone
        uv_close(reinterpret_cast<uv_handle_t*>(listener), nullptr);
}

} // namespace

void run_server(const Options& o) {
    server = new Server;
    server->o = o;
    // After the loop's start: libuv keeps descriptors of its own for good.
    posix::DescriptorLeakCheck leak_check; // every handle received was closed
    ::unlink(o.name.c_str());
    uv_pipe_init(server->loop, &server->listener, 0);
    check(uv_pipe_bind(&server->listener, o.name.c_str()), "bind");
    check(uv_listen(reinterpret_cast<uv_stream_t*>(&server->listener), 128, on_connection), "listen");
    uv_run(server->loop, UV_RUN_DEFAULT);
    check(uv_loop_close(server->loop), "loop close");
    ::unlink(o.name.c_str());
}

} // namespace bench
