// target_session.cpp — the synthetic target's side of one RFB 3.8 connection.
#include "bench/target_session.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rfb/client_messages.hpp"
#include "rfb/security.hpp"
#include "rfb/version.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::bench {
namespace {

awaitable<bool> send(tcp::socket& socket, rfb::byte_view bytes) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), use_tuple);
  co_return !ec;
}

awaitable<bool> receive(tcp::socket& socket, std::span<std::uint8_t> into) {
  auto [ec, n] = co_await asio::async_read(socket, asio::buffer(into.data(), into.size()), use_tuple);
  co_return !ec;
}

// VNC Authentication: challenge, response, compared in constant time.
awaitable<bool> vnc_authenticate(tcp::socket& socket, const std::string& password) {
  rfb::vnc_auth_block challenge{};
  if (RAND_bytes(challenge.data(), static_cast<int>(challenge.size())) != 1) co_return false;
  const bool sent = co_await send(socket, challenge);
  if (!sent) co_return false;
  rfb::vnc_auth_block response{};
  const bool received = co_await receive(socket, response);
  if (!received) co_return false;
  auto expected = rfb::vnc_auth_response(challenge, password);
  const bool ok = expected && CRYPTO_memcmp(expected->data(), response.data(), response.size()) == 0;
  if (expected) OPENSSL_cleanse(expected->data(), expected->size());
  rfb::bytes result = ok ? rfb::encode_security_result_ok()
                         : rfb::encode_security_result_failed(rfb::protocol_version::v3_8, "authentication failed");
  const bool answered = co_await send(socket, result);
  co_return ok && answered;
}

awaitable<bool> handshake(tcp::socket& socket, const target_screen& screen) {
  const rfb::bytes version = rfb::encode_version(rfb::protocol_version::v3_8);
  const bool greeted = co_await send(socket, version);
  if (!greeted) co_return false;
  std::array<std::uint8_t, rfb::version_message_size> client_version{};
  const bool got_version = co_await receive(socket, client_version);
  if (!got_version) co_return false;
  auto v = rfb::decode_version(client_version);
  if (!v || v->value != rfb::protocol_version::v3_8) co_return false;

  const std::uint8_t offered = screen.vnc_password ? rfb::security_type::vnc_auth : rfb::security_type::none;
  const std::array<std::uint8_t, 1> types{offered};
  const rfb::bytes offer = rfb::encode_security_types(types);
  const bool offer_sent = co_await send(socket, offer);
  if (!offer_sent) co_return false;
  std::array<std::uint8_t, 1> choice{};
  const bool chosen = co_await receive(socket, choice);
  if (!chosen || choice[0] != offered) co_return false;
  if (screen.vnc_password) {
    const bool authenticated = co_await vnc_authenticate(socket, *screen.vnc_password);
    if (!authenticated) co_return false;
  } else {
    const rfb::bytes ok = rfb::encode_security_result_ok();
    const bool sent = co_await send(socket, ok);
    if (!sent) co_return false;
  }

  std::array<std::uint8_t, 1> client_init{};
  const bool got_init = co_await receive(socket, client_init);
  if (!got_init) co_return false;
  co_return co_await send(socket, screen.server_init);
}

}  // namespace

awaitable<void> serve_target_session(tcp::socket socket, const target_screen& screen) {
  socket.set_option(tcp::no_delay(true));
  const bool ready = co_await handshake(socket, screen);
  if (!ready) co_return;

  rfb::client_message_filter framing(rfb::filter_rules{});
  std::array<std::uint8_t, 512> in{};  // client messages are small; idle sessions stay cheap
  constexpr auto request = static_cast<std::size_t>(rfb::client_message_kind::framebuffer_update_request);
  std::uint64_t answered = 0;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(in), use_tuple);
    if (ec) co_return;
    auto fed = framing.feed(rfb::byte_view(in.data(), n), [](rfb::byte_view) {});
    if (!fed) co_return;
    while (answered < framing.counters().seen[request]) {
      const bool sent = co_await send(socket, screen.update);
      if (!sent) co_return;
      ++answered;
    }
  }
}

}  // namespace vncgate::bench
