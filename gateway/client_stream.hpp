// client_stream.hpp — the client leg: plain TCP until TLS is switched on, TLS after.
//
// TLS is OpenSSL working directly on the socket's descriptor (SSL_set_fd), the socket
// non-blocking, and Asio only telling when the socket is ready. No BIO pair, so one copy
// less than asio::ssl::stream, OpenSSL's own record buffers (released while idle:
// SSL_MODE_RELEASE_BUFFERS), and kernel TLS when the context enables it and the kernel
// takes the keys (ktls_send(): the kernel encrypts what is written or spliced to the socket).
//
// Owned by one session; used from that session's I/O thread only. At most one reader
// and one writer at a time (the relay runs one of each); OpenSSL allows a read and a
// write to interleave on one SSL object in non-blocking mode. I/O results are values
// (error_code, bytes), never exceptions. A closed stream refuses all I/O, so OpenSSL
// never touches a descriptor number the kernel may have handed to someone else.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <tuple>

#include "gateway/asio.hpp"

namespace vncgate::gateway {

class client_stream {
 public:
  explicit client_stream(tcp::socket socket);

  // Server-side TLS handshake on the socket; afterwards all I/O is TLS. With
  // `request_certificate` the client is asked for a certificate (the context must have
  // the client CA loaded); a bad or missing one does not fail the handshake: read the
  // result with check_client_certificate (client_certificate_check.hpp).
  awaitable<error_code> start_tls(asio::ssl::context& ctx, bool request_certificate = false);
  bool is_tls() const noexcept { return ssl_ != nullptr; }
  SSL* ssl() noexcept { return ssl_.get(); }
  // The kernel encrypts what is sent on the socket (kTLS transmit is on): bytes may be
  // written or spliced to socket() directly, once write() has nothing pending.
  bool ktls_send() const noexcept;

  // Completes when read_now() may have bytes: decrypted bytes waiting in OpenSSL, or the
  // socket readable (or needing to be writable, when OpenSSL must answer first).
  awaitable<error_code> wait_readable();
  // Never waits: bytes, or asio::error::would_block (then wait_readable), or how the
  // stream ended (eof; asio::ssl::error::stream_truncated without close_notify).
  std::tuple<error_code, std::size_t> read_now(asio::mutable_buffer buffer);
  // wait_readable and read_now until some bytes or an ending.
  awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer buffer);
  // All of `buffer`, or the error that stopped it (bytes written so far).
  awaitable<std::tuple<error_code, std::size_t>> write(asio::const_buffer buffer);

  // Tells the peer we are done sending: TLS close_notify (best effort, bounded by the
  // caller's cancellation; the peer's is not awaited) or a TCP shutdown of the send side.
  awaitable<void> shutdown_send();
  void close() noexcept;

  tcp::socket& socket() noexcept { return socket_; }

 private:
  enum class readiness { read, write };
  struct ssl_free {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };
  // One OpenSSL call's result as an error: would_block when it waits for `wants`.
  error_code tls_result(int ok, readiness& wants);
  awaitable<error_code> wait_for(readiness r);

  tcp::socket socket_;
  std::unique_ptr<SSL, ssl_free> ssl_;
  // After OpenSSL said "want read/write", the next wait_readable waits on the socket even
  // if OpenSSL holds bytes (a partial record).
  bool read_needs_socket_ = false;
  readiness read_wants_ = readiness::read;
  bool failed_ = false;  // a fatal TLS error: no close_notify any more
};

}  // namespace vncgate::gateway
