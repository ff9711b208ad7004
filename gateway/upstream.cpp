// Stages `login_upstream` and `exchange_init` of the session (see session.hpp): the
// gateway logs in to the target desktop with the real VNC password, which the person
// never sees, then joins the two handshakes with ClientInit / ServerInit.
#include <algorithm>

#include "gateway/log.hpp"
#include "gateway/session.hpp"
#include "rfb/init.hpp"
#include "rfb/security.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::gateway {
namespace {

constexpr std::string_view unavailable = "target unavailable";
constexpr std::string_view credentials_refused = "target refused the gateway's credentials";

// A failed connect says at which step, for vncgate_upstream_connect_failures_total.
struct connect_result {
  error_code ec;
  std::string_view failed_at;  // "resolve" or "connect"
};

awaitable<connect_result> connect_to(tcp::socket& socket, const endpoint& ep) {
  error_code ec;
  // An address needs no resolving: Asio resolves on a thread of its own, and the hand-off
  // there and back costs every session two context switches.
  const auto address = asio::ip::make_address(ep.host, ec);
  if (!ec) {
    std::tie(ec) = co_await socket.async_connect(tcp::endpoint(address, ep.port), use_tuple);
  } else {
    tcp::resolver resolver(socket.get_executor());
    auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
    if (rec) co_return connect_result{rec, "resolve"};
    tcp::endpoint chosen;
    std::tie(ec, chosen) = co_await asio::async_connect(socket, results, use_tuple);
  }
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  co_return connect_result{ec, "connect"};
}

}  // namespace

awaitable<bool> session::login_upstream() {
  const target_config& t = target();
  const std::string where = "target " + t.name + " (" + t.address.to_string() + ")";
  const auto connect_started = std::chrono::steady_clock::now();
  auto connected = co_await (connect_to(upstream_, t.address) || after(t.connect_timeout));
  if (connected.index() == 1) {
    svc_.stats.upstream_connect_failed(t.name, "timeout");
    co_return co_await refuse(outcome::upstream_unavailable, unavailable,
                              where + ": no connection within " + std::to_string(t.connect_timeout.count()) + " ms");
  }
  if (const auto& c = std::get<0>(connected); c.ec) {
    svc_.stats.upstream_connect_failed(t.name, c.failed_at);
    std::string detail = where + ": " + c.ec.message();
    co_return co_await refuse(outcome::upstream_unavailable, unavailable, std::move(detail));
  }
  svc_.stats.upstream_connected(t.name, std::chrono::steady_clock::now() - connect_started);

  auto broken = [&](const read_failure& f, std::string_view during) -> awaitable<bool> {
    outcome o = f.io ? outcome::upstream_unavailable : outcome::upstream_error;
    return refuse(o, unavailable, where + ": " + f.describe() + " during " + std::string(during));
  };

  auto version = co_await upstream_in_.read<rfb::protocol_version>(upstream_, rfb::decode_version);
  if (!version) co_return co_await broken(version.error(), "version negotiation");
  upstream_version_ = *version;
  auto hello = rfb::encode_version(upstream_version_);
  if (auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(hello), use_tuple); ec)
    co_return co_await refuse(outcome::upstream_unavailable, unavailable, where + ": " + ec.message());

  auto offer = co_await upstream_in_.read<rfb::security_offer>(
      upstream_, [v = upstream_version_](rfb::byte_view in) { return rfb::decode_security_offer(in, v); });
  if (!offer) co_return co_await broken(offer.error(), "security negotiation");
  if (offer->refused())
    co_return co_await refuse(outcome::upstream_unavailable, unavailable,
                              where + " refused the connection: " + offer->failure_reason);

  auto offers = [&](std::uint8_t type) { return std::ranges::find(offer->types, type) != offer->types.end(); };
  const bool has_password = !t.password.empty();
  std::uint8_t type = 0;
  if (has_password && offers(rfb::security_type::vnc_auth)) type = rfb::security_type::vnc_auth;
  else if (offers(rfb::security_type::none)) type = rfb::security_type::none;
  else if (offers(rfb::security_type::vnc_auth))
    co_return co_await refuse(outcome::upstream_auth_failed, credentials_refused,
                              where + " asks for a VNC password, but the target has no password_file");
  else
    co_return co_await refuse(outcome::upstream_unavailable, unavailable,
                              where + " offers security types " + comma_list(offer->types) +
                                  "; the gateway speaks None (1) and VncAuth (2)");

  if (upstream_version_ != rfb::protocol_version::v3_3) {
    if (auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(&type, 1), use_tuple); ec)
      co_return co_await refuse(outcome::upstream_unavailable, unavailable, where + ": " + ec.message());
  }

  if (type == rfb::security_type::vnc_auth) {
    auto challenge = co_await upstream_in_.read<rfb::vnc_auth_block>(upstream_, rfb::decode_vnc_auth_challenge);
    if (!challenge) co_return co_await broken(challenge.error(), "VNC authentication");
    auto response = rfb::vnc_auth_response(*challenge, t.password);
    if (!response)
      co_return co_await refuse(outcome::internal_error, unavailable,
                                "DES is unavailable: OpenSSL's legacy provider could not be loaded");
    if (auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(*response), use_tuple); ec)
      co_return co_await refuse(outcome::upstream_unavailable, unavailable, where + ": " + ec.message());
  }

  // SecurityResult: always after VncAuth; after None only from 3.8 on.
  if (type == rfb::security_type::vnc_auth || upstream_version_ == rfb::protocol_version::v3_8) {
    auto result = co_await upstream_in_.read<rfb::security_result>(
        upstream_, [v = upstream_version_](rfb::byte_view in) { return rfb::decode_security_result(in, v); });
    if (!result) co_return co_await broken(result.error(), "security result");
    if (!result->ok) {
      // Built outside the co_await: g++ 12 destroys conditional-operator temporaries
      // inside a co_await expression twice (a double free seen here).
      std::string detail = where + " rejected the gateway's VNC password";
      if (!result->reason.empty()) detail += " (\"" + result->reason + "\")";
      detail += "; check password_file " + (t.password_file ? t.password_file->string() : std::string("(none)"));
      co_return co_await refuse(outcome::upstream_auth_failed, credentials_refused, std::move(detail));
    }
  }

  // The person is in: tell the client, which answers with ClientInit.
  if (!co_await send_to_client(rfb::encode_security_result_ok())) co_return false;
  phase_ = phase::done;
  co_return true;
}

awaitable<bool> session::exchange_init() {
  const target_config& t = target();
  auto shared = co_await client_in_.read<bool>(client_, rfb::decode_client_init);
  if (!shared) co_return co_await client_read_failed(shared.error(), "ClientInit");
  auto init = rfb::encode_client_init(t.shared.value_or(*shared));
  if (auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(init), use_tuple); ec)
    co_return co_await refuse(outcome::upstream_unavailable, "", "target " + t.name + ": " + ec.message());

  auto server_init = co_await upstream_in_.read<rfb::server_init>(upstream_, rfb::decode_server_init);
  if (!server_init)
    co_return co_await refuse(server_init.error().io ? outcome::upstream_unavailable : outcome::upstream_error, "",
                              "target " + t.name + ": " + server_init.error().describe() + " during ServerInit");
  if (!co_await send_to_client(rfb::encode_server_init(*server_init))) co_return false;

  record_.audit({{"event", "session_start"},
                 {"user", record_.user()},
                 {"source", record_.source()},
                 {"target", t.name},
                 {"target_address", t.address.to_string()},
                 {"security", vencrypt_subtype_},
                 {"view_only", rights_.drop_input},
                 {"paste", rights_.drop_clipboard ? "blocked" : "allowed"}});
  record_.relay_started();
  log(log_level::info, record_.id(),
      "session started: " + record_.user() + " from " + record_.source() + " to " + t.name + " " +
          std::to_string(server_init->width) + "x" + std::to_string(server_init->height));
  co_return true;
}

}  // namespace vncgate::gateway
