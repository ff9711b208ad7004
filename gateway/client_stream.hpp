// client_stream.hpp — the client leg: plain TCP until TLS is switched on, TLS after.
//
// Owned by one session; used from that session's strand (its I/O thread) only. At most
// one read and one write may be outstanding at a time (the relay runs one of each).
// I/O results are values (error_code, bytes), never exceptions.
#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <variant>

#include "gateway/asio.hpp"

namespace vncgate::gateway {

class client_stream {
 public:
  using tls_stream = asio::ssl::stream<tcp::socket>;

  explicit client_stream(tcp::socket socket) : stream_(std::move(socket)) {}

  // Server-side TLS handshake on the socket; afterwards all I/O is TLS. With
  // `request_certificate` the client is asked for a certificate (the context must have
  // the client CA loaded); a bad or missing one does not fail the handshake: read the
  // result with check_client_certificate (client_certificate_check.hpp).
  awaitable<error_code> start_tls(asio::ssl::context& ctx, bool request_certificate = false);
  bool is_tls() const noexcept { return stream_.index() == 1; }

  awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer buffer);
  awaitable<std::tuple<error_code, std::size_t>> write(asio::const_buffer buffer);

  // Tells the peer we are done sending: TLS close_notify (best effort, bounded by the
  // caller's cancellation) or a TCP shutdown of the send side.
  awaitable<void> shutdown_send();
  void close() noexcept;

  tcp::socket& socket() noexcept;
  tls_stream* tls() noexcept { return std::get_if<tls_stream>(&stream_); }

 private:
  std::variant<tcp::socket, tls_stream> stream_;
};

}  // namespace vncgate::gateway
