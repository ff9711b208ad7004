// rfb_login.cpp — client side of RFB 3.8 security (None, VncAuth, VeNCrypt Plain and
// X509Plain), ClientInit and ServerInit, with the decoders from rfb/.
#include "bench/rfb_login.hpp"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>

#include "rfb/init.hpp"
#include "rfb/security.hpp"
#include "rfb/vencrypt.hpp"
#include "rfb/version.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::bench {
namespace {

// Reads until `decode` has a whole message. The server answers each client message
// before it sends more, so nothing beyond the message is left over; bytes that are
// would be a protocol error for this client.
template <class Decode>
awaitable<std::pair<bool, rfb::bytes>> read_message(bench_stream& s, Decode decode) {
  rfb::bytes buf;
  std::array<std::uint8_t, 512> chunk{};
  for (;;) {
    auto r = decode(rfb::byte_view(buf));
    if (r || r.error() != rfb::errc::need_more) {
      const bool whole = r && r->size == buf.size();
      co_return std::pair{whole, std::move(buf)};
    }
    auto [ec, n] = co_await s.read_some(chunk);
    if (ec) co_return std::pair{false, std::move(buf)};
    buf.insert(buf.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

login_result failed(std::string why) {
  login_result r;
  r.failure = std::move(why);
  return r;
}

awaitable<login_result> security_result(bench_stream& s) {
  auto decode = [](rfb::byte_view in) { return rfb::decode_security_result(in, rfb::protocol_version::v3_8); };
  auto [whole, bytes] = co_await read_message(s, decode);
  if (!whole) co_return failed("no SecurityResult");
  auto result = decode(bytes);
  if (!result->value.ok) co_return failed("refused: " + result->value.reason);
  login_result ok;
  ok.ok = true;
  co_return ok;
}

awaitable<login_result> vnc_auth(bench_stream& s, const login_options& o) {
  std::array<std::uint8_t, rfb::vnc_auth_challenge_size> challenge{};
  error_code ec = co_await s.read_exact(challenge);
  if (ec) co_return failed("no VncAuth challenge");
  auto response = rfb::vnc_auth_response(challenge, o.password);
  if (!response) co_return failed("DES unavailable");
  ec = co_await s.write_all(*response);
  OPENSSL_cleanse(response->data(), response->size());
  if (ec) co_return failed("cannot send VncAuth response");
  co_return co_await security_result(s);
}

awaitable<login_result> vencrypt(bench_stream& s, const login_options& o) {
  std::array<std::uint8_t, 2> version{};
  error_code ec = co_await s.read_exact(version);
  if (ec || version[0] != 0 || version[1] != 2) co_return failed("no VeNCrypt 0.2");
  const rfb::bytes our_version = rfb::encode_vencrypt_version();
  ec = co_await s.write_all(our_version);
  std::array<std::uint8_t, 2> ack_and_count{};  // version ack, subtype count
  if (!ec) ec = co_await s.read_exact(ack_and_count);
  if (ec || ack_and_count[0] != 0 || ack_and_count[1] == 0) co_return failed("VeNCrypt version refused");
  rfb::bytes subtypes(std::size_t{ack_and_count[1]} * 4);
  ec = co_await s.read_exact(subtypes);
  if (ec) co_return failed("no VeNCrypt subtypes");
  bool offers_plain = false;
  bool offers_x509plain = false;
  for (std::size_t i = 0; i < subtypes.size(); i += 4) {
    const std::uint32_t t = rfb::get_u32(rfb::byte_view(subtypes).subspan(i));
    offers_plain = offers_plain || t == rfb::vencrypt_subtype::plain;
    offers_x509plain = offers_x509plain || t == rfb::vencrypt_subtype::x509_plain;
  }
  std::uint32_t choice = 0;
  if ((s.tls() || !o.tls_context) && offers_plain) choice = rfb::vencrypt_subtype::plain;
  else if (!s.tls() && offers_x509plain && o.tls_context) choice = rfb::vencrypt_subtype::x509_plain;
  else co_return failed("no usable VeNCrypt subtype (Plain inside TLS, or X509Plain with --ca)");
  rfb::bytes chosen;
  rfb::put_u32(chosen, choice);
  ec = co_await s.write_all(chosen);
  if (ec) co_return failed("cannot send the VeNCrypt subtype");
  if (choice == rfb::vencrypt_subtype::x509_plain) {
    std::array<std::uint8_t, 1> start{};
    ec = co_await s.read_exact(start);
    if (ec || start[0] != 1) co_return failed("X509Plain not accepted");
    ec = co_await s.start_tls(o.tls_context);
    if (ec) co_return failed("TLS: " + ec.message());
  }
  rfb::bytes credentials = rfb::encode_plain_credentials(o.user, o.password);
  ec = co_await s.write_all(credentials);
  OPENSSL_cleanse(credentials.data(), credentials.size());
  if (ec) co_return failed("cannot send credentials");
  co_return co_await security_result(s);
}

}  // namespace

awaitable<login_result> rfb_login(bench_stream& s, const login_options& o) {
  std::array<std::uint8_t, rfb::version_message_size> version{};
  error_code ec = co_await s.read_exact(version);
  if (ec) co_return failed("no ProtocolVersion: " + ec.message());
  auto v = rfb::decode_version(version);
  if (!v || v->value != rfb::protocol_version::v3_8) co_return failed("server is not RFB 3.8");
  const rfb::bytes our_version = rfb::encode_version(rfb::protocol_version::v3_8);
  ec = co_await s.write_all(our_version);
  if (ec) co_return failed("cannot send ProtocolVersion");

  auto decode_offer = [](rfb::byte_view in) { return rfb::decode_security_offer(in, rfb::protocol_version::v3_8); };
  auto [whole, offer_bytes] = co_await read_message(s, decode_offer);
  if (!whole) co_return failed("no security types");
  const rfb::security_offer offer = decode_offer(offer_bytes)->value;
  if (offer.refused()) co_return failed("refused: " + offer.failure_reason);
  auto offers = [&](std::uint8_t t) { return std::find(offer.types.begin(), offer.types.end(), t) != offer.types.end(); };

  std::uint8_t type = rfb::security_type::invalid;
  // A server offering only VeNCrypt to a plaintext client (a vncgate `plain` listener
  // behind a TLS-terminating proxy) gets VeNCrypt Plain in the clear.
  if (offers(rfb::security_type::vencrypt) && (s.tls() || o.tls_context)) type = rfb::security_type::vencrypt;
  else if (offers(rfb::security_type::vnc_auth)) type = rfb::security_type::vnc_auth;
  else if (offers(rfb::security_type::none)) type = rfb::security_type::none;
  else if (offers(rfb::security_type::vencrypt)) type = rfb::security_type::vencrypt;
  else co_return failed("no usable security type");
  const std::array<std::uint8_t, 1> choice{type};
  ec = co_await s.write_all(choice);
  if (ec) co_return failed("cannot send the security type");

  login_result secured;
  if (type == rfb::security_type::vencrypt) secured = co_await vencrypt(s, o);
  else if (type == rfb::security_type::vnc_auth) secured = co_await vnc_auth(s, o);
  else secured = co_await security_result(s);
  if (!secured.ok) co_return secured;

  const rfb::bytes client_init = rfb::encode_client_init(true);
  ec = co_await s.write_all(client_init);
  if (ec) co_return failed("cannot send ClientInit");
  auto [init_whole, init_bytes] = co_await read_message(s, rfb::decode_server_init);
  if (!init_whole) co_return failed("no ServerInit");
  const auto init = rfb::decode_server_init(init_bytes)->value;
  login_result done;
  done.ok = true;
  done.screen = {init.width, init.height, init.pixel_format[0]};
  co_return done;
}

}  // namespace vncgate::bench
