// message_reader.hpp — reads whole RFB handshake messages from a stream into an rfb/
// decoder, keeping any bytes that arrive early for the next message.
//
// Bounded: it never holds more than `limit` bytes, so a peer cannot grow its memory;
// a message larger than that is a protocol error. Consumed bytes are wiped (they may be
// a password). Used by one session coroutine only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/client_stream.hpp"
#include "rfb/codec.hpp"

namespace vncgate::gateway {

inline awaitable<std::tuple<error_code, std::size_t>> read_some(tcp::socket& s, asio::mutable_buffer b) {
  return s.async_read_some(b, use_tuple);
}
inline awaitable<std::tuple<error_code, std::size_t>> read_some(client_stream& s, asio::mutable_buffer b) {
  return s.read_some(b);
}

// Why reading a message failed: the connection (io set) or the bytes (protocol set).
struct read_failure {
  error_code io;
  rfb::errc protocol = rfb::errc::need_more;
  std::string describe() const;
};

class message_reader {
 public:
  // Reserves enough that the messages carrying credentials never make the buffer move
  // (a move would leave an unwiped copy behind).
  explicit message_reader(std::size_t limit) : limit_(limit) { buffer_.reserve(initial_capacity); }
  static constexpr std::size_t initial_capacity = 8 * 1024;

  rfb::byte_view pending() const noexcept { return {buffer_.data() + start_, buffer_.size() - start_}; }
  bool empty() const noexcept { return start_ == buffer_.size(); }
  void consume(std::size_t n) noexcept;
  // Frees the buffer once the handshake is over; pending() must be empty.
  void release() noexcept;

  // Reads one message with `decode` (an rfb decoder: byte_view -> rfb::result<T>).
  template <class T, class Stream, class Decode>
  awaitable<expected<T, read_failure>> read(Stream& stream, Decode decode) {
    for (;;) {
      rfb::result<T> r = decode(pending());
      if (r) {
        consume(r->size);
        co_return std::move(r->value);
      }
      if (r.error() != rfb::errc::need_more) co_return unexpected(read_failure{{}, r.error()});
      if (buffer_.size() - start_ >= limit_) co_return unexpected(read_failure{{}, rfb::errc::too_long});
      error_code ec = co_await fill(stream);
      if (ec) co_return unexpected(read_failure{ec, rfb::errc::need_more});
    }
  }

 private:
  template <class Stream>
  awaitable<error_code> fill(Stream& stream) {
    if (start_ > 0 && start_ == buffer_.size()) buffer_.clear(), start_ = 0;
    std::size_t old = buffer_.size();
    std::size_t room = std::min<std::size_t>(limit_ - (old - start_), 4096);
    buffer_.resize(old + room);
    auto [ec, n] = co_await read_some(stream, asio::buffer(buffer_.data() + old, room));
    buffer_.resize(old + n);
    co_return ec;
  }

  std::size_t limit_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;
};

}  // namespace vncgate::gateway
