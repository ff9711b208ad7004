// bench_stream.cpp — TCP, or TLS by OpenSSL on the fd with Asio waiting for readiness.
#include "bench/bench_stream.hpp"

#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>

namespace vncgate::bench {
namespace {

error_code ssl_failure() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return asio::error::connection_reset;
  return error_code(static_cast<int>(e), asio::error::get_ssl_category());
}

}  // namespace

ssl_ctx_ptr make_client_tls_context(const std::filesystem::path& ca_file, bool lean, std::string& why) {
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    why = "SSL_CTX_new failed";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (lean) SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    why = "cannot load CA file " + ca_file.string();
    return nullptr;
  }
  return ctx;
}

awaitable<error_code> bench_stream::wait_for(int ssl_error) {
  error_code ec;
  if (ssl_error == SSL_ERROR_WANT_READ) {
    std::tie(ec) = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
  } else if (ssl_error == SSL_ERROR_WANT_WRITE) {
    std::tie(ec) = co_await socket_.async_wait(tcp::socket::wait_write, use_tuple);
  } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;
  } else {
    ec = ssl_failure();
  }
  co_return ec;
}

awaitable<error_code> bench_stream::start_tls(SSL_CTX* ctx) {
  ssl_.reset(SSL_new(ctx));
  if (!ssl_) co_return ssl_failure();
  error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) co_return ec;
  if (SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1) co_return ssl_failure();
  SSL_set_connect_state(ssl_.get());
  for (;;) {
    const int r = SSL_do_handshake(ssl_.get());
    if (r == 1) co_return error_code{};
    ec = co_await wait_for(SSL_get_error(ssl_.get(), r));
    if (ec) co_return ec;
  }
}

awaitable<std::pair<error_code, std::size_t>> bench_stream::read_some(std::span<std::uint8_t> into) {
  if (!ssl_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(into.data(), into.size()), use_tuple);
    co_return std::pair{ec, n};
  }
  for (;;) {
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
    if (r == 1) co_return std::pair{error_code{}, n};
    const error_code ec = co_await wait_for(SSL_get_error(ssl_.get(), r));
    if (ec) co_return std::pair{ec, std::size_t{0}};
  }
}

awaitable<error_code> bench_stream::read_exact(std::span<std::uint8_t> into) {
  std::size_t have = 0;
  while (have < into.size()) {
    auto [ec, n] = co_await read_some(into.subspan(have));
    if (ec) co_return ec;
    have += n;
  }
  co_return error_code{};
}

awaitable<error_code> bench_stream::write_all(std::span<const std::uint8_t> bytes) {
  if (!ssl_) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), use_tuple);
    co_return ec;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_.get(), bytes.data() + done, bytes.size() - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    const error_code ec = co_await wait_for(SSL_get_error(ssl_.get(), r));
    if (ec) co_return ec;
  }
  co_return error_code{};
}

}  // namespace vncgate::bench
