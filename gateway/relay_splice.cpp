// The zero-copy paths of the relay (see relay.cpp): socket -> pipe -> socket with
// splice(2), both sockets non-blocking, driven by readiness waits.
//
// A pipe is borrowed from the thread's pool (pipe_pool.hpp) when the source has bytes
// and given back empty, so an idle session holds none. One burst — what the pipe takes
// from the source, up to its 1 MiB — goes fully to the destination before the source is
// read again: a slow reader stops the reading, and memory stays bounded by the pipe.
// EINVAL or ENOSYS before the first byte has moved means this kernel or socket cannot
// splice: the caller falls back to the copy path, losing nothing (bytes already in the
// pipe are copied out first). On a kTLS client socket the kernel encrypts what is
// spliced into it, so framebuffer updates still never enter user space.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "gateway/buffer_pool.hpp"
#include "gateway/log.hpp"
#include "gateway/pipe_pool.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {
namespace {

constexpr unsigned splice_flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

struct burst {
  std::size_t moved = 0;  // bytes that reached the destination
  error_code from;        // would_block: nothing there after all; eof: the source closed
  error_code to;
};

bool cannot_splice(const error_code& ec) {
  return ec == error_code(EINVAL, boost::system::system_category()) ||
         ec == error_code(ENOSYS, boost::system::system_category());
}

error_code last_error() {
  const int err = errno;
  if (err == EAGAIN || err == EINTR) return asio::error::would_block;
  return error_code(err, boost::system::system_category());
}

// What `from` has now, up to `room`, into the pipe; then all of it on to `to`, waiting
// for `to` to take it. On an error towards `to` the pipe may still hold bytes.
awaitable<burst> splice_burst(int from, tcp::socket& to, const kernel_pipe& pipe, std::size_t room) {
  burst b;
  const ssize_t n = ::splice(from, nullptr, pipe.write_end(), nullptr, room, splice_flags);
  if (n <= 0) {
    b.from = n == 0 ? error_code(asio::error::eof) : last_error();
    co_return b;
  }
  for (auto left = static_cast<std::size_t>(n); left > 0;) {
    const ssize_t m = ::splice(pipe.read_end(), nullptr, to.native_handle(), nullptr, left, splice_flags);
    if (m > 0) {
      left -= static_cast<std::size_t>(m);
      b.moved += static_cast<std::size_t>(m);
      continue;
    }
    error_code ec = m == 0 ? error_code(asio::error::eof) : last_error();
    if (ec == asio::error::would_block) {
      auto [wec] = co_await to.async_wait(tcp::socket::wait_write, use_tuple);
      if (!wec) continue;
      ec = wec;
    }
    b.to = ec;
    co_return b;
  }
  co_return b;
}

std::size_t burst_room(const pipe_pool& pool) {
  return pool.pipe_capacity() > 0 ? pool.pipe_capacity() : 64 * 1024;
}

}  // namespace

awaitable<std::string> session::splice_target_to_client(bool& unsupported) {
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::target_to_client, target_path_);
  pipe_pool& pool = pipe_pool::for_this_thread();
  tcp::socket& client = client_.socket();
  bool moved_any = false;
  for (;;) {
    if (farewell_) co_return co_await say_goodbye();
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
    const burst b = co_await splice_burst(upstream_.native_handle(), client, *pipe, burst_room(pool));
    record_.bytes_to_client += b.moved;
    relayed.Increment(static_cast<double>(b.moved));
    if (b.from) {
      pool.give_back(std::move(*pipe));  // nothing entered it
      if (b.from == asio::error::would_block) continue;
      unsupported = !moved_any && cannot_splice(b.from);
      co_return unsupported ? std::string() : ending(b.from, "target");
    }
    if (b.to) {
      if (moved_any || b.moved > 0 || !cannot_splice(b.to)) co_return ending(b.to, "client");
      // The client's socket refused the first splice: what the pipe holds goes by copy.
      unsupported = true;
      auto& buffers = buffer_pool::for_this_thread<to_client_chunk>();
      auto buffer = buffers.take();
      for (std::size_t left = pipe->pending(); left > 0;) {
        const ssize_t n = ::read(pipe->read_end(), buffer.get(), std::min(left, buffers.size()));
        if (n <= 0) co_return "the pipe could not be emptied";
        auto [wec, w] = co_await client_.write(asio::buffer(buffer.get(), static_cast<std::size_t>(n)));
        record_.bytes_to_client += w;
        svc_.stats.relayed_bytes(relay_direction::target_to_client, relay_path::copy).Increment(static_cast<double>(w));
        if (wec) co_return ending(wec, "client");
        left -= static_cast<std::size_t>(n);
      }
      buffers.give_back(std::move(buffer));
      pool.give_back(std::move(*pipe));
      co_return std::string();
    }
    moved_any = true;
    pool.give_back(std::move(*pipe));
  }
}

awaitable<std::string> session::splice_client_to_target(bool& unsupported) {
  record_.to_target_path = to_string(relay_path::splice);
  auto& relayed = svc_.stats.relayed_bytes(relay_direction::client_to_target, relay_path::splice);
  pipe_pool& pool = pipe_pool::for_this_thread();
  tcp::socket& client = client_.socket();
  bool moved_any = false;
  for (;;) {
    auto [rec] = co_await client.async_wait(tcp::socket::wait_read, use_tuple);
    if (rec) co_return co_await client_left(rec);
    if (farewell_) {
      // The session is ending: what the client sends is read and dropped.
      std::array<std::uint8_t, 4096> sink;
      for (;;) {
        auto [ec, n] = client_.read_now(asio::buffer(sink));
        record_.bytes_from_client += n;
        if (ec == asio::error::would_block) break;
        if (ec) co_return co_await client_left(ec);
      }
      continue;
    }
    auto pipe = pool.take();
    if (!pipe) {
      unsupported = !moved_any;
      if (unsupported) co_return std::string();
      co_return "no pipe for splice: " + pipe.error();
    }
    const burst b = co_await splice_burst(client.native_handle(), upstream_, *pipe, burst_room(pool));
    record_.bytes_from_client += b.moved;
    relayed.Increment(static_cast<double>(b.moved));
    if (b.moved > 0) moved_any = true;
    if (b.from) {
      pool.give_back(std::move(*pipe));  // nothing entered it
      if (b.from == asio::error::would_block) continue;
      unsupported = !moved_any && cannot_splice(b.from);
      if (unsupported) co_return std::string();
      co_return co_await client_left(b.from);
    }
    if (b.to == asio::error::operation_aborted && farewell_) continue;  // the pipe is dropped, closed
    if (b.to) co_return ending(b.to, "target");
    pool.give_back(std::move(*pipe));
  }
}

}  // namespace vncgate::gateway
