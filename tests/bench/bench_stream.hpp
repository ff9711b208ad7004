// bench_stream.hpp — the load client's connection: a TCP socket, optionally with TLS
// driven by OpenSSL on the socket's own fd.
//
// OpenSSL works on the fd (SSL_set_fd, non-blocking) and Asio only waits for
// readiness, so there is no BIO pair: no extra copy per record, and with
// SSL_MODE_RELEASE_BUFFERS an idle session keeps no 16 KiB record buffers. That keeps
// the client cheap when it holds 10,000 idle sessions, and fast when it measures.
// One coroutine at a time per stream (the client reads and writes in turn). Not
// thread-safe; errors are values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <openssl/ssl.h>

#include "bench/asio.hpp"

namespace vncgate::bench {

struct ssl_ctx_free { void operator()(SSL_CTX* p) const { SSL_CTX_free(p); } };
struct ssl_free { void operator()(SSL* p) const { SSL_free(p); } };
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;
using ssl_ptr = std::unique_ptr<SSL, ssl_free>;

// A client context that verifies the peer against `ca_file` (host name not checked:
// the benchmark connects to 127.0.0.1). Null on error, with the reason in `why`.
// `lean`: SSL_MODE_RELEASE_BUFFERS, for sessions that sit idle (frees the record
// buffers between reads; costs an allocation per burst, so not for measuring).
ssl_ctx_ptr make_client_tls_context(const std::filesystem::path& ca_file, bool lean, std::string& why);

class bench_stream {
 public:
  explicit bench_stream(tcp::socket socket) : socket_(std::move(socket)) {}

  // Starts TLS on the socket (the client side). Bytes already read by the caller must
  // not be pending: RFB's VeNCrypt ack and TLS-first both leave none.
  awaitable<error_code> start_tls(SSL_CTX* ctx);
  bool tls() const { return ssl_ != nullptr; }

  // At least one byte, or an error (eof included).
  awaitable<std::pair<error_code, std::size_t>> read_some(std::span<std::uint8_t> into);
  awaitable<error_code> read_exact(std::span<std::uint8_t> into);
  awaitable<error_code> write_all(std::span<const std::uint8_t> bytes);

  tcp::socket& socket() { return socket_; }

 private:
  // Waits for the readiness OpenSSL asked for (an SSL_get_error value); an error for
  // anything else (eof for a TLS close_notify).
  awaitable<error_code> wait_for(int ssl_error);

  tcp::socket socket_;
  ssl_ptr ssl_;
};

}  // namespace vncgate::bench
