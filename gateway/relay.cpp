// Stage `relay` of the session (see session.hpp): bytes both ways until one side ends.
//
// One fixed buffer per direction and one write in flight per direction: a slow reader
// stops us reading from its peer (backpressure), so memory never grows with traffic.
// When the client stops sending, the target's send side is shut and the target gets a
// short grace period to finish; when the target closes, the session is over.
//
// The client->target direction runs through rfb::client_message_filter when the session
// has a right to enforce (view-only, block_paste) or an idle timeout to measure: whole
// messages are dropped, never bytes, and input resets the idle clock. Sessions with
// neither relay the client's bytes untouched. session_clock ends the session at the
// idle timeout or the maximum session length. Bytes are counted as the audit counts
// them (read from the client, written to the client) in vncgate_relayed_bytes_total,
// path "copy" — or "splice" for target->client bytes on a plaintext client leg
// (splice_target_to_client below).
#include <fcntl.h>

#include <array>
#include <cerrno>
#include <memory>

#include "gateway/log.hpp"
#include "gateway/pipe_pool.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {
namespace {

constexpr std::size_t client_to_target_buffer = 16 * 1024;  // input events: small
constexpr std::size_t target_to_client_buffer = 64 * 1024;  // framebuffer updates: bulk
constexpr auto half_close_grace = std::chrono::seconds(10);

std::string ending(const error_code& ec, std::string_view who) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return std::string(who) + " closed";
  return std::string(who) + ": " + ec.message();
}

}  // namespace

awaitable<void> session::relay() {
  // Bytes that arrived with the last handshake message belong to the stream.
  if (!client_in_.empty()) {
    auto early = client_in_.pending();
    auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(early.data(), early.size()), use_tuple);
    record_.bytes_from_client += n;
    svc_.stats.relayed_bytes(relay_direction::client_to_target, relay_path::copy).Increment(static_cast<double>(n));
    client_in_.consume(n);
    if (ec) {
      record_.set_outcome(outcome::ok, ending(ec, "target"));
      co_return;
    }
  }
  if (!upstream_in_.empty()) {
    auto early = upstream_in_.pending();
    auto [ec, n] = co_await client_.write(asio::buffer(early.data(), early.size()));
    record_.bytes_to_client += n;
    svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy).Increment(static_cast<double>(n));
    upstream_in_.consume(n);
    if (ec) {
      record_.set_outcome(outcome::ok, ending(ec, "client"));
      co_return;
    }
  }

  client_in_.release();
  upstream_in_.release();

  // Client->target always runs through the message filter: besides the rights it learns
  // whether the client takes DesktopName (-307), so that a session ended from outside
  // (an administrator, a reload, the shutdown) can be told why. It is the small
  // direction: input events and update requests.
  filter_.emplace(rights_);
  record_.filtered = rights_.drop_input || rights_.drop_clipboard;
  last_input_ = std::chrono::steady_clock::now();
  // A client leg that is plaintext at the socket (a plain listener) takes the target's
  // bytes by splice(2); TLS in user space needs the copy path.
  target_path_ = client_.is_tls() ? relay_path::copy : relay_path::splice;
  record_.relay_path = target_path_ == relay_path::splice ? "splice" : "copy";
  relaying_ = true;
  auto first = co_await (pump_client_to_target() || pump_target_to_client() || session_clock());
  relaying_ = false;
  if (filter_) {
    // What the filter dropped, for session_end: counted once, not on every chunk.
    const auto& dropped = filter_->counters().dropped;
    for (std::size_t k = 0; k < dropped.size(); ++k) {
      auto kind = static_cast<rfb::client_message_kind>(k);
      if (rfb::is_input(kind)) record_.input_dropped += dropped[k];
      if (kind == rfb::client_message_kind::client_cut_text || kind == rfb::client_message_kind::extended_clipboard)
        record_.paste_dropped += dropped[k];
    }
  }
  // If the client left first, the target closing afterwards is its answer to that.
  record_.set_outcome(outcome::ok,
                      client_ended_.empty() ? std::visit([](auto& s) { return s; }, first) : client_ended_);

  // Say goodbye properly on TLS (close_notify), but never wait long for the peer.
  co_await (client_.shutdown_send() || after(std::chrono::seconds(2)));
  client_.close();
  error_code ignored;
  upstream_.close(ignored);
}

awaitable<std::string> session::pump_client_to_target() {
  auto buffer = std::make_unique<std::array<std::uint8_t, client_to_target_buffer>>();
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::client_to_target, relay_path::copy);
  rfb::bytes passed;
  if (filter_) passed.reserve(client_to_target_buffer);
  for (;;) {
    auto [rec, n] = co_await client_.read_some(asio::buffer(*buffer));
    if (rec) {
      // Half-close: the target may still send what it has; give it a moment.
      error_code ignored;
      upstream_.shutdown(tcp::socket::shutdown_send, ignored);
      client_ended_ = ending(rec, "client");
      co_await after(half_close_grace);
      co_return client_ended_;
    }
    record_.bytes_from_client += n;
    relayed.Increment(static_cast<double>(n));
    if (farewell_) continue;  // the session is ending: nothing more reaches the target
    rfb::byte_view out(buffer->data(), n);
    if (filter_) {
      passed.clear();
      auto fed = filter_->feed(out, passed);
      if (!fed) {
        std::string why = rfb::describe(fed.error());
        record_.set_outcome(outcome::protocol_error, why);
        co_return why;
      }
      if (fed->input_messages > 0) last_input_ = std::chrono::steady_clock::now();
      out = rfb::byte_view(passed.data(), passed.size());
    }
    auto [wec, w] = co_await asio::async_write(upstream_, asio::buffer(out.data(), out.size()), use_tuple);
    (void)w;
    if (wec == asio::error::operation_aborted && farewell_) continue;
    if (wec) co_return ending(wec, "target");
  }
}

awaitable<std::string> session::pump_target_to_client() {
  auto buffer = std::make_unique<std::array<std::uint8_t, target_to_client_buffer>>();
  if (target_path_ == relay_path::splice) {
    bool unsupported = false;
    std::string why = co_await splice_target_to_client(*buffer, unsupported);
    if (!unsupported) co_return why;
    log(log_level::info, record_.id(), "splice is not available on this connection: relaying by copy");
    target_path_ = relay_path::copy;
    record_.relay_path = "copy";
  }
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy);
  for (;;) {
    if (farewell_) co_return co_await say_goodbye(*buffer);
    auto [rec, n] = co_await upstream_.async_read_some(asio::buffer(*buffer), use_tuple);
    if (rec == asio::error::operation_aborted && farewell_) continue;
    if (rec) co_return ending(rec, "target");
    auto [wec, w] = co_await client_.write(asio::buffer(buffer->data(), n));
    record_.bytes_to_client += w;
    relayed.Increment(static_cast<double>(w));
    if (wec) co_return ending(wec, "client");
  }
}

// The zero-copy path: target socket -> pipe -> client socket, both non-blocking, driven
// by readiness waits. A pipe is borrowed from the thread's pool when the target has
// bytes and given back empty, so an idle session holds none. One burst (what the pipe
// takes, up to its 1 MiB) goes fully to the client before the target is read again:
// a slow client stops the reading, and memory stays bounded by the pipe. When the
// session says goodbye (farewell_), the pipe is emptied first and say_goodbye goes on
// in user space, as on the copy path.
awaitable<std::string> session::splice_target_to_client(std::span<std::uint8_t> buffer, bool& unsupported) {
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::splice);
  pipe_pool& pool = pipe_pool::for_this_thread();
  tcp::socket& client = client_.socket();
  error_code ignored;
  upstream_.native_non_blocking(true, ignored);
  client.native_non_blocking(true, ignored);
  const int from = upstream_.native_handle();
  const int to = client.native_handle();
  bool moved_any = false;
  for (;;) {
    if (farewell_) co_return co_await say_goodbye(buffer);
    auto [rec] = co_await upstream_.async_wait(tcp::socket::wait_read, use_tuple);
    if (rec == asio::error::operation_aborted && farewell_) continue;
    if (rec) co_return ending(rec, "target");
    auto pipe = pool.take();
    if (!pipe) {
      log(log_level::warning, record_.id(), "no pipe for splice (" + pipe.error() + ")");
      unsupported = !moved_any;
      if (unsupported) co_return std::string();
      co_return "no pipe for splice: " + pipe.error();
    }
    const std::size_t room = pool.pipe_capacity() > 0 ? pool.pipe_capacity() : 64 * 1024;
    const ssize_t n = ::splice(from, nullptr, pipe->write_end(), nullptr, room, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) co_return ending(asio::error::eof, "target");
    if (n < 0) {
      const int err = errno;
      pool.give_back(std::move(*pipe));
      if (err == EAGAIN || err == EINTR) continue;
      if (!moved_any && (err == EINVAL || err == ENOSYS)) {
        unsupported = true;
        co_return std::string();
      }
      co_return ending(error_code(err, boost::system::system_category()), "target");
    }
    for (auto left = static_cast<std::size_t>(n); left > 0;) {
      const ssize_t m = ::splice(pipe->read_end(), nullptr, to, nullptr, left, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m > 0) {
        left -= static_cast<std::size_t>(m);
        moved_any = true;
        record_.bytes_to_client += static_cast<std::uint64_t>(m);
        relayed.Increment(static_cast<double>(m));
        continue;
      }
      const int err = m < 0 ? errno : 0;
      if (err == EAGAIN || err == EINTR) {
        auto [wec] = co_await client.async_wait(tcp::socket::wait_write, use_tuple);
        if (wec) co_return ending(wec, "client");  // the pipe still holds bytes: closed, not reused
        continue;
      }
      co_return ending(m == 0 ? error_code(asio::error::eof) : error_code(err, boost::system::system_category()),
                       "client");
    }
    pool.give_back(std::move(*pipe));
  }
}

}  // namespace vncgate::gateway
