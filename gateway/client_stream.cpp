#include "gateway/client_stream.hpp"

#include <boost/asio/write.hpp>

#include "gateway/client_certificate_check.hpp"

namespace vncgate::gateway {

awaitable<error_code> client_stream::start_tls(asio::ssl::context& ctx, bool request_certificate) {
  tcp::socket plain = std::move(std::get<tcp::socket>(stream_));
  auto& tls = stream_.emplace<tls_stream>(std::move(plain), ctx);
  request_client_certificate(tls.native_handle(), request_certificate);
  auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, use_tuple);
  co_return ec;
}

awaitable<std::tuple<error_code, std::size_t>> client_stream::read_some(asio::mutable_buffer buffer) {
  if (auto* t = tls()) co_return co_await t->async_read_some(buffer, use_tuple);
  co_return co_await std::get<tcp::socket>(stream_).async_read_some(buffer, use_tuple);
}

awaitable<std::tuple<error_code, std::size_t>> client_stream::write(asio::const_buffer buffer) {
  if (auto* t = tls()) co_return co_await asio::async_write(*t, buffer, use_tuple);
  co_return co_await asio::async_write(std::get<tcp::socket>(stream_), buffer, use_tuple);
}

awaitable<void> client_stream::shutdown_send() {
  if (auto* t = tls()) {
    // close_notify; asio's shutdown also waits for the peer's, which the caller bounds.
    co_await t->async_shutdown(use_tuple);
    co_return;
  }
  error_code ignored;
  std::get<tcp::socket>(stream_).shutdown(tcp::socket::shutdown_send, ignored);
}

void client_stream::close() noexcept {
  error_code ignored;
  socket().close(ignored);
}

tcp::socket& client_stream::socket() noexcept {
  if (auto* t = tls()) return t->next_layer();
  return std::get<tcp::socket>(stream_);
}

}  // namespace vncgate::gateway
