// Contender "libuv": uv_pipe_t streams driven by a uv loop, written the way
// libuv's documentation and users write them (one write in flight, the next
// from its callback). Handle passing uses IPC pipes (uv_write2 + uv_accept of
// the pending handle); libuv sends one handle per write, so 64 handles in one
// message is unsupported.
#include "harness.hpp"

#include <uv.h>

#include <cstring>
#include <memory>

#include <unistd.h>

namespace bench {

const char* const contender_name = "libuv";

bool supports(Workload workload) {
    return workload != Workload::handles64 && workload != Workload::seqpacket && workload != Workload::fanin;
}

namespace {

void start_connect();

void check(int status, const char* what) {
    if (status < 0)
        fail(std::string(what) + ": " + uv_strerror(status));
}

bool uses_ipc(const Options& o) { return o.workload == Workload::handles1; }

void close_once(void* handle) {
    auto* h = static_cast<uv_handle_t*>(handle);
    if (!uv_is_closing(h))
        uv_close(h, nullptr);
}

void close_and_delete(uv_handle_t* handle) {
    uv_close(handle, [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
}

// ---------------------------------------------------------------- server

struct Server {
    Options o;
    uv_loop_t* loop = uv_default_loop();
    uv_pipe_t listener{};
    uv_pipe_t client{};
    uv_write_t write{};
    std::vector<char> buffer;
    char echo[pingpong_bytes] = {};
    std::size_t echo_have = 0;
    std::uint64_t bytes = 0;
    std::uint64_t done = 0;
    bool writing = false;      // a uv_write_t cannot be reused before its callback
    bool echo_waiting = false; // a full message arrived while the last echo was in flight
    bool finished = false;     // the ack is on its way
};
Server* server;

void send_echo(uv_stream_t* stream) {
    static uv_buf_t echo_buf;
    echo_buf = uv_buf_init(server->echo, pingpong_bytes);
    server->writing = true;
    uv_write(&server->write, stream, &echo_buf, 1, [](uv_write_t* request, int status) {
        check(status, "write");
        server->writing = false;
        if (++server->done == server->o.count) {
            close_once(&server->client);
            close_once(&server->listener);
        } else if (server->echo_waiting) {
            server->echo_waiting = false;
            send_echo(request->handle);
        }
    });
}

void finish_server() {
    server->finished = true;
    uv_write(&server->write, reinterpret_cast<uv_stream_t*>(&server->client),
             [] {
                 static uv_buf_t ack = uv_buf_init(const_cast<char*>("k"), 1);
                 return &ack;
             }(),
             1, [](uv_write_t*, int) {
                 close_once(&server->client);
                 close_once(&server->listener);
             });
}

void on_server_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    if (n < 0) { // the client left
        close_once(stream);
        close_once(&server->listener);
        return;
    }
    if (n == 0 || server->finished) // libuv reports EAGAIN as an empty read
        return;
    const Options& o = server->o;
    switch (o.workload) {
    case Workload::throughput:
        server->bytes += static_cast<std::uint64_t>(n);
        if (server->bytes >= o.throughput_bytes())
            finish_server();
        break;
    case Workload::pingpong:
        std::memcpy(server->echo + server->echo_have, buf->base, static_cast<std::size_t>(n));
        server->echo_have += static_cast<std::size_t>(n);
        if (server->echo_have == pingpong_bytes) {
            server->echo_have = 0;
            if (server->writing)
                server->echo_waiting = true;
            else
                send_echo(stream);
        }
        break;
    case Workload::handles1: {
        auto* pipe = reinterpret_cast<uv_pipe_t*>(stream);
        while (uv_pipe_pending_count(pipe) > 0) {
            auto* received = new uv_pipe_t;
            uv_pipe_init(server->loop, received, 0);
            check(uv_accept(stream, reinterpret_cast<uv_stream_t*>(received)), "accept handle");
            close_and_delete(reinterpret_cast<uv_handle_t*>(received)); // the receiver closes each handle
        }
        server->bytes += static_cast<std::uint64_t>(n);
        if (server->bytes == o.count * handle_message_bytes)
            finish_server();
        break;
    }
    default: break;
    }
}

void on_connection(uv_stream_t* listener, int status) {
    check(status, "listen");
    if (server->o.workload == Workload::connect) {
        auto* client = new uv_pipe_t;
        uv_pipe_init(server->loop, client, 0);
        check(uv_accept(listener, reinterpret_cast<uv_stream_t*>(client)), "accept");
        close_and_delete(reinterpret_cast<uv_handle_t*>(client));
        if (++server->done == server->o.count)
            uv_close(reinterpret_cast<uv_handle_t*>(listener), nullptr);
        return;
    }
    uv_pipe_init(server->loop, &server->client, uses_ipc(server->o));
    check(uv_accept(listener, reinterpret_cast<uv_stream_t*>(&server->client)), "accept");
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&server->client),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
            *buf = uv_buf_init(server->buffer.data(), static_cast<unsigned>(server->buffer.size()));
        },
        on_server_read);
}

// ---------------------------------------------------------------- client

struct Client {
    Options o;
    uv_loop_t* loop = uv_default_loop();
    uv_pipe_t pipe{};
    uv_connect_t connect{};
    uv_write_t write{};
    uv_timer_t retry{};
    uv_pipe_t handle_to_send{};
    std::vector<char> chunk;
    char message[pingpong_bytes] = {};
    std::size_t have = 0;
    std::uint64_t done = 0;
    Clock::time_point start, t0;
    Result result;
    bool warmed_up = false;
    bool writing = false;    // a uv_write_t cannot be reused before its callback
    bool next_ready = false; // the echo came back before the write's callback
};
Client* client;

void client_write_next();

void on_client_read(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
    if (n == 0) // libuv reports EAGAIN as an empty read
        return;
    if (n < 0) {
        if (client->o.workload == Workload::connect && n == UV_EOF) { // the server accepted and closed
            uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t*) {
                if (!client->warmed_up) {
                    client->warmed_up = true; // the first cycle waited for the server; time the rest
                    client->start = Clock::now();
                } else if (++client->done == client->o.count - 1) {
                    client->result.seconds = seconds_since(client->start);
                    client->result.operations = client->done;
                    return;
                }
                start_connect();
            });
            return;
        }
        fail("read");
    }
    Client& c = *client;
    switch (c.o.workload) {
    case Workload::throughput:
    case Workload::handles1: // the ack
        c.result.seconds = seconds_since(c.start);
        c.result.operations = c.o.workload == Workload::throughput ? c.o.throughput_bytes() : c.o.count;
        uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
        if (c.o.workload == Workload::handles1)
            uv_close(reinterpret_cast<uv_handle_t*>(&c.handle_to_send), nullptr);
        break;
    case Workload::pingpong:
        c.have += static_cast<std::size_t>(n);
        if (c.have == pingpong_bytes) {
            c.have = 0;
            c.result.latencies.push_back(seconds_since(c.t0));
            if (++c.done == c.o.count) {
                c.result.seconds = seconds_since(c.start);
                c.result.operations = c.done;
                uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
            } else if (c.writing) {
                c.next_ready = true;
            } else {
                client_write_next();
            }
        }
        break;
    default: break;
    }
}

void start_reading() {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&client->pipe),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
            *buf = uv_buf_init(client->message + client->have, static_cast<unsigned>(pingpong_bytes - client->have));
        },
        on_client_read);
}

void on_written(uv_write_t*, int status) {
    check(status, "write");
    Client& c = *client;
    c.writing = false;
    if (c.o.workload == Workload::pingpong) { // the echo drives the next write
        if (c.next_ready) {
            c.next_ready = false;
            client_write_next();
        }
        return;
    }
    if (++c.done < (c.o.workload == Workload::throughput ? c.o.throughput_bytes() / c.o.size : c.o.count))
        client_write_next();
    else
        start_reading(); // for the ack
}

void client_write_next() {
    Client& c = *client;
    auto* stream = reinterpret_cast<uv_stream_t*>(&c.pipe);
    static uv_buf_t buf;
    c.writing = true;
    switch (c.o.workload) {
    case Workload::throughput:
        buf = uv_buf_init(c.chunk.data(), static_cast<unsigned>(c.chunk.size()));
        uv_write(&c.write, stream, &buf, 1, on_written);
        break;
    case Workload::pingpong:
        c.t0 = Clock::now();
        buf = uv_buf_init(c.message, pingpong_bytes);
        uv_write(&c.write, stream, &buf, 1, on_written);
        break;
    case Workload::handles1:
        buf = uv_buf_init(c.message, handle_message_bytes);
        uv_write2(&c.write, stream, &buf, 1, reinterpret_cast<uv_stream_t*>(&c.handle_to_send), on_written);
        break;
    default: break;
    }
}

void on_connected(uv_connect_t*, int status) {
    Client& c = *client;
    if (status < 0) { // the server is starting: try again shortly
        uv_close(reinterpret_cast<uv_handle_t*>(&c.pipe), [](uv_handle_t*) {
            uv_timer_start(&client->retry, [](uv_timer_t*) { start_connect(); }, 1, 0);
        });
        return;
    }
    if (c.o.workload == Workload::connect) {
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&c.pipe),
            [](uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(client->message, 1); },
            on_client_read);
        return;
    }
    c.start = Clock::now();
    if (c.o.workload == Workload::pingpong)
        start_reading();
    client_write_next();
}

void start_connect() {
    Client& c = *client;
    uv_pipe_init(c.loop, &c.pipe, uses_ipc(c.o));
    uv_pipe_connect(&c.connect, &c.pipe, c.o.name.c_str(), on_connected);
}

} // namespace

void run_server(const Options& o) {
    server = new Server;
    server->o = o;
    server->buffer.resize(std::max(read_buffer_bytes, o.size));
    ::unlink(o.name.c_str());
    uv_pipe_init(server->loop, &server->listener, 0);
    check(uv_pipe_bind(&server->listener, o.name.c_str()), "bind");
    check(uv_listen(reinterpret_cast<uv_stream_t*>(&server->listener), 128, on_connection), "listen");
    uv_run(server->loop, UV_RUN_DEFAULT);
    ::unlink(o.name.c_str());
}

Result run_client(const Options& o) {
    client = new Client;
    client->o = o;
    Client& c = *client;
    c.chunk.assign(o.size, 'x');
    if (o.workload == Workload::pingpong)
        c.result.latencies.reserve(o.count);
    if (o.workload == Workload::handles1) {
        int fds[2];
        if (::pipe(fds) != 0)
            fail("pipe");
        uv_pipe_init(c.loop, &c.handle_to_send, 0);
        check(uv_pipe_open(&c.handle_to_send, fds[0]), "pipe open");
    }
    uv_timer_init(c.loop, &c.retry); // inactive until a connect fails: it does not hold the loop
    start_connect();
    uv_run(c.loop, UV_RUN_DEFAULT);
    return c.result;
}

} // namespace bench
