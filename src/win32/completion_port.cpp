// The library's side of completion-port mode, for the Windows Asio backend
// (include/localsock/asio/detail/port_access.hpp says what each entry does):
// writes prepared by the non-blocking calls and started on the port by the
// backend, and a listener's connects.
#include "listening_pipe.hpp"
#include "seqpacket_impl.hpp"
#include "stream_impl.hpp"

#include <localsock/asio/detail/port_access.hpp>

#include <algorithm>

namespace localsock::detail {
namespace {

using win32::PipeCore;

void set_connection_port_mode(PipeCore* core, bool on) noexcept {
    if (core == nullptr || core->port_mode == on)
        return;
    if (!on)
        win32::cancel_pending_write(*core);
    core->port_mode = on;
    core->port_prepare = false;
    if (on)
        core->port_bound = true; // the backend binds it now, for good
}

void set_core_preparing(PipeCore* core, bool on) noexcept {
    if (core != nullptr && core->port_mode)
        core->port_prepare = on;
}

bool prepared(const PipeCore* core) noexcept {
    return core != nullptr && core->write_pending && core->port_write == nullptr && core->prepared_size > 0;
}

bool prepared_sizes(const PipeCore* core, std::size_t& size, std::size_t& payload) noexcept {
    if (!prepared(core))
        return false;
    size = core->prepared_size;
    payload = core->prepared_payload;
    return true;
}

unsigned long start_prepared(PipeCore* core, void* overlapped) noexcept {
    if (!prepared(core))
        return ERROR_INVALID_FUNCTION;
    auto* o = static_cast<OVERLAPPED*>(overlapped);
    // The write's own event too (not masked: the completion is queued to
    // the port as well), so that cancel_pending_write can wait for the
    // buffer without touching the backend's OVERLAPPED.
    std::error_code ec;
    if (!core->write_io.open(ec)) // creates the event on first use
        return static_cast<unsigned long>(ec.value());
    o->hEvent = core->write_io.event();
    if (!::WriteFile(core->pipe.get(), core->prepared_data, core->prepared_size, nullptr, o)) {
        const DWORD error = ::GetLastError();
        if (error != ERROR_IO_PENDING)
            return error;
    }
    core->port_write = o;
    return 0;
}

void set_listener_port_mode(win32::ListeningPipe* listener, bool on) noexcept {
    if (listener != nullptr)
        listener->pool.set_port_mode(on);
}

std::size_t count_of(win32::ListeningPipe* listener) noexcept {
    return listener != nullptr && listener->pool.port_mode() ? listener->pool.size() : 0;
}

void* idle_of(win32::ListeningPipe* listener, std::size_t i, bool& needs_bind) noexcept {
    needs_bind = false;
    if (i >= count_of(listener))
        return nullptr;
    win32::Instance& instance = listener->pool.instance(i);
    if (!instance.pipe || instance.pending || instance.connected)
        return nullptr;
    needs_bind = !instance.port_bound;
    return instance.pipe.get();
}

unsigned long connect_of(win32::ListeningPipe* listener, std::size_t i, void* overlapped) noexcept {
    if (i >= count_of(listener))
        return ERROR_INVALID_FUNCTION;
    win32::Instance& instance = listener->pool.instance(i);
    if (!instance.pipe || instance.pending || instance.connected)
        return ERROR_INVALID_FUNCTION;
    instance.port_bound = true;
    ++instance.port_connects;
    auto* o = static_cast<OVERLAPPED*>(overlapped);
    std::error_code ec;
    if (!instance.connect_io.open(ec))
        return static_cast<unsigned long>(ec.value());
    o->hEvent = instance.connect_io.event(); // see start_prepared
    for (;;) {
        if (::ConnectNamedPipe(instance.pipe.get(), o)) { // done at once: its completion is queued all the same
            instance.pending = true;
            instance.port_io = o;
            return 0;
        }
        const DWORD error = ::GetLastError();
        if (error == ERROR_IO_PENDING) {
            instance.pending = true;
            instance.port_io = o;
            return 0;
        }
        if (error == ERROR_PIPE_CONNECTED) { // a client came before ConnectNamedPipe
            instance.connected = true;
            return error;
        }
        if (error != ERROR_NO_DATA)
            return error;
        ::DisconnectNamedPipe(instance.pipe.get()); // a client came and already left
    }
}

void connect_done(win32::ListeningPipe* listener, std::size_t i, unsigned long error, unsigned number) noexcept {
    if (i >= count_of(listener))
        return;
    win32::Instance& instance = listener->pool.instance(i);
    if (number != instance.port_connects)
        return; // a connect cancelled and replaced since: the newer one's state stays
    instance.pending = false;
    instance.port_io = nullptr;
    if (!instance.pipe)
        return;
    if (error == 0 || error == ERROR_PIPE_CONNECTED) {
        instance.connected = true;
        return;
    }
    instance.connected = false;
    if (error == ERROR_NO_DATA || error == ERROR_BROKEN_PIPE)
        ::DisconnectNamedPipe(instance.pipe.get()); // it came and went: wait again
}

void cancel_of(win32::ListeningPipe* listener) noexcept {
    if (listener == nullptr || !listener->pool.port_mode())
        return;
    for (std::size_t i = 0; i < listener->pool.size(); ++i)
        listener->pool.instance(i).cancel();
}

} // namespace

void CompletionPortAccess::set_port_mode(LocalStream& s, bool on) noexcept { set_connection_port_mode(s.impl_.get(), on); }
void CompletionPortAccess::set_port_mode(LocalSeqpacket& s, bool on) noexcept {
    set_connection_port_mode(s.impl_.get(), on);
}
bool CompletionPortAccess::port_bound(const LocalStream& s) noexcept { return s.impl_ && s.impl_->port_bound; }
bool CompletionPortAccess::port_bound(const LocalSeqpacket& s) noexcept { return s.impl_ && s.impl_->port_bound; }
void CompletionPortAccess::set_preparing(LocalStream& s, bool on) noexcept { set_core_preparing(s.impl_.get(), on); }
void CompletionPortAccess::set_preparing(LocalSeqpacket& s, bool on) noexcept { set_core_preparing(s.impl_.get(), on); }
bool CompletionPortAccess::write_prepared(const LocalStream& s, std::size_t& size, std::size_t& payload) noexcept {
    return prepared_sizes(s.impl_.get(), size, payload);
}
bool CompletionPortAccess::write_prepared(const LocalSeqpacket& s, std::size_t& size, std::size_t& payload) noexcept {
    return prepared_sizes(s.impl_.get(), size, payload);
}
unsigned long CompletionPortAccess::start_write(LocalStream& s, void* overlapped) noexcept {
    return start_prepared(s.impl_.get(), overlapped);
}
unsigned long CompletionPortAccess::start_write(LocalSeqpacket& s, void* overlapped) noexcept {
    return start_prepared(s.impl_.get(), overlapped);
}
void* CompletionPortAccess::write_event(const LocalStream& s) noexcept {
    return s.impl_ ? s.impl_->write_io.event() : nullptr;
}
void* CompletionPortAccess::write_event(const LocalSeqpacket& s) noexcept {
    return s.impl_ ? s.impl_->write_io.event() : nullptr;
}

void CompletionPortAccess::write_finished(LocalStream& stream, unsigned long error, std::size_t bytes,
                                          std::error_code& ec) noexcept {
    ec.clear();
    LocalStream::Impl* s = stream.impl_.get();
    if (s == nullptr || !s->write_pending)
        return;
    const DWORD payload = s->prepared_payload;
    const DWORD unsent = win32::finish_port_write(*s, error, static_cast<DWORD>(bytes), ec);
    if (!s->handle_passing)
        return;
    // The frame state counted every prepared byte as gone: give back what
    // did not go, so that the next write sends it.
    const DWORD unsent_payload = std::min(unsent, payload);
    const DWORD unsent_prefix = unsent - unsent_payload;
    win32::Outbound& out = s->out;
    out.payload_owed += unsent_payload;
    out.sent -= std::min<std::size_t>(unsent_prefix, out.sent);
    if (unsent_prefix > 0 && out.sent == 0) { // not a byte of the frame went: abandon it
        out.size = 0;
        out.payload_owed = 0;
    }
}

void CompletionPortAccess::write_finished(LocalSeqpacket& packet, unsigned long error, std::size_t bytes,
                                          std::error_code& ec) noexcept {
    ec.clear();
    LocalSeqpacket::Impl* s = packet.impl_.get();
    if (s == nullptr || !s->write_pending)
        return;
    const DWORD unsent = win32::finish_port_write(*s, error, static_cast<DWORD>(bytes), ec);
    if (!ec && unsent > 0) // a message goes whole or not at all
        ec = win32::make_error(ERROR_WRITE_FAULT);
}

void CompletionPortAccess::set_port_mode(LocalListener& l, bool on) noexcept { set_listener_port_mode(l.impl_.get(), on); }
void CompletionPortAccess::set_port_mode(LocalSeqpacketListener& l, bool on) noexcept {
    set_listener_port_mode(l.impl_.get(), on);
}
std::size_t CompletionPortAccess::instance_count(LocalListener& l) noexcept { return count_of(l.impl_.get()); }
std::size_t CompletionPortAccess::instance_count(LocalSeqpacketListener& l) noexcept { return count_of(l.impl_.get()); }
void* CompletionPortAccess::idle_instance(LocalListener& l, std::size_t i, bool& needs_bind) noexcept {
    return idle_of(l.impl_.get(), i, needs_bind);
}
void* CompletionPortAccess::idle_instance(LocalSeqpacketListener& l, std::size_t i, bool& needs_bind) noexcept {
    return idle_of(l.impl_.get(), i, needs_bind);
}
unsigned long CompletionPortAccess::start_connect(LocalListener& l, std::size_t i, void* overlapped) noexcept {
    return connect_of(l.impl_.get(), i, overlapped);
}
unsigned long CompletionPortAccess::start_connect(LocalSeqpacketListener& l, std::size_t i, void* overlapped) noexcept {
    return connect_of(l.impl_.get(), i, overlapped);
}
void CompletionPortAccess::connect_finished(LocalListener& l, std::size_t i, unsigned long error,
                                            unsigned number) noexcept {
    connect_done(l.impl_.get(), i, error, number);
}
void CompletionPortAccess::connect_finished(LocalSeqpacketListener& l, std::size_t i, unsigned long error,
                                            unsigned number) noexcept {
    connect_done(l.impl_.get(), i, error, number);
}
unsigned CompletionPortAccess::next_connect_number(LocalListener& l, std::size_t i) noexcept {
    return i < count_of(l.impl_.get()) ? l.impl_->pool.instance(i).port_connects + 1 : 0;
}
unsigned CompletionPortAccess::next_connect_number(LocalSeqpacketListener& l, std::size_t i) noexcept {
    return i < count_of(l.impl_.get()) ? l.impl_->pool.instance(i).port_connects + 1 : 0;
}
void CompletionPortAccess::cancel_connects(LocalListener& l) noexcept { cancel_of(l.impl_.get()); }
void CompletionPortAccess::cancel_connects(LocalSeqpacketListener& l) noexcept { cancel_of(l.impl_.get()); }

} // namespace localsock::detail
