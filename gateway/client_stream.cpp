#include "gateway/client_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "gateway/client_certificate_check.hpp"

namespace vncgate::gateway {

client_stream::client_stream(tcp::socket socket) : socket_(std::move(socket)) {
  // OpenSSL reads and writes the descriptor itself: it must never block the thread.
  error_code ignored;
  socket_.non_blocking(true, ignored);
}

bool client_stream::ktls_send() const noexcept {
  return ssl_ && BIO_get_ktls_send(SSL_get_wbio(ssl_.get())) == 1;
}

error_code client_stream::tls_result(int ok, readiness& wants) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), ok)) {
    case SSL_ERROR_NONE:
      return {};
    case SSL_ERROR_WANT_READ:
      wants = readiness::read;
      return asio::error::would_block;
    case SSL_ERROR_WANT_WRITE:
      wants = readiness::write;
      return asio::error::would_block;
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;  // close_notify
    case SSL_ERROR_SYSCALL:
      failed_ = true;
      ERR_clear_error();
      if (saved_errno != 0) return error_code(saved_errno, boost::system::system_category());
      return asio::ssl::error::stream_truncated;
    default: {
      failed_ = true;
      const unsigned long e = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::ssl::error::stream_truncated;
      if (e == 0) return asio::error::fault;
      return error_code(static_cast<int>(e), asio::error::get_ssl_category());
    }
  }
}

awaitable<error_code> client_stream::wait_for(readiness r) {
  auto [ec] = co_await socket_.async_wait(r == readiness::read ? tcp::socket::wait_read : tcp::socket::wait_write,
                                          use_tuple);
  co_return ec;
}

awaitable<error_code> client_stream::start_tls(asio::ssl::context& ctx, bool request_certificate) {
  ssl_.reset(SSL_new(ctx.native_handle()));
  if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1) {
    ERR_clear_error();
    failed_ = true;
    co_return asio::error::no_memory;
  }
  request_client_certificate(ssl_.get(), request_certificate);
  SSL_set_accept_state(ssl_.get());
  for (;;) {
    if (!socket_.is_open()) co_return asio::error::bad_descriptor;
    ERR_clear_error();
    errno = 0;
    readiness wants = readiness::read;
    auto ec = tls_result(SSL_do_handshake(ssl_.get()), wants);
    if (ec != asio::error::would_block) co_return ec;
    if (auto waited = co_await wait_for(wants)) co_return waited;
  }
}

awaitable<error_code> client_stream::wait_readable() {
  if (!socket_.is_open()) co_return asio::error::bad_descriptor;
  // Decrypted bytes, or a whole record read ahead: no need to ask the kernel.
  if (ssl_ && !read_needs_socket_ && SSL_has_pending(ssl_.get()) == 1) co_return error_code{};
  auto ec = co_await wait_for(read_wants_);
  read_needs_socket_ = false;
  co_return ec;
}

std::tuple<error_code, std::size_t> client_stream::read_now(asio::mutable_buffer buffer) {
  if (!socket_.is_open()) return {asio::error::bad_descriptor, 0};
  if (!ssl_) {
    error_code ec;
    std::size_t n = socket_.read_some(buffer, ec);  // non-blocking: would_block when empty
    return {ec, n};
  }
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  if (SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n) == 1) {
    read_wants_ = readiness::read;
    return {error_code{}, n};
  }
  auto ec = tls_result(0, read_wants_);
  if (ec == asio::error::would_block) read_needs_socket_ = true;
  return {ec, 0};
}

awaitable<std::tuple<error_code, std::size_t>> client_stream::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    auto [ec, n] = read_now(buffer);
    if (ec != asio::error::would_block) co_return std::tuple(ec, n);
    if (auto waited = co_await wait_readable()) co_return std::tuple(waited, std::size_t{0});
  }
}

awaitable<std::tuple<error_code, std::size_t>> client_stream::write(asio::const_buffer buffer) {
  if (!ssl_) co_return co_await asio::async_write(socket_, buffer, use_tuple);
  const auto* data = static_cast<const std::uint8_t*>(buffer.data());
  std::size_t done = 0;
  while (done < buffer.size()) {
    if (!socket_.is_open()) co_return std::tuple(error_code(asio::error::bad_descriptor), done);
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    // Partial writes are on (tls_context.cpp): one record at a time, the rest next turn.
    if (SSL_write_ex(ssl_.get(), data + done, buffer.size() - done, &n) == 1) {
      done += n;
      continue;
    }
    readiness wants = readiness::write;
    auto ec = tls_result(0, wants);
    if (ec != asio::error::would_block) co_return std::tuple(ec, done);
    if (auto waited = co_await wait_for(wants)) co_return std::tuple(waited, done);
  }
  co_return std::tuple(error_code{}, done);
}

awaitable<void> client_stream::shutdown_send() {
  if (!socket_.is_open()) co_return;
  if (!ssl_) {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  if (failed_) co_return;  // OpenSSL forbids SSL_shutdown after a fatal error
  // Our close_notify only: 0 (sent) or 1 (the peer's had come too) ends it.
  for (int tries = 0; tries < 16 && socket_.is_open(); ++tries) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_shutdown(ssl_.get());
    if (r >= 0) co_return;
    readiness wants = readiness::write;
    if (tls_result(r, wants) != asio::error::would_block) co_return;
    if (co_await wait_for(wants)) co_return;
  }
}

void client_stream::close() noexcept {
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace vncgate::gateway
