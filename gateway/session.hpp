// session.hpp — one client connection, from accept to close, as one coroutine.
//
// The stages run top to bottom, each in its own file:
//   greet (client_handshake.cpp): RFB version, security type, VeNCrypt, TLS, Plain credentials
//   authenticate (authenticate.cpp): the backend on the auth pool, fixed delay on failure
//   authorize (session.cpp): choose the target, check its allow/deny lists, take a
//     place under the session caps, settle the session's rights (view-only, paste)
//   login_upstream, exchange_init (upstream.cpp): the target's handshake with the real password
//   relay (relay.cpp, relay_splice.cpp): bytes both ways until one side ends, the idle
//     timeout or the maximum session length; by copy, splice(2) or into kernel TLS
// Each stage returns false after it has recorded the outcome and told the client why.
// The whole handshake runs under the configured handshake timeout. Runs on one I/O
// thread; exceptions stop at run_session, which records internal_error.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "gateway/admission.hpp"
#include "gateway/asio.hpp"
#include "gateway/client_stream.hpp"
#include "gateway/message_reader.hpp"
#include "gateway/peer.hpp"
#include "gateway/runtime.hpp"
#include "gateway/session_record.hpp"
#include "gateway/session_registry.hpp"
#include "policy/session_caps.hpp"
#include "rfb/client_messages.hpp"
#include "rfb/vencrypt.hpp"
#include "rfb/version.hpp"

namespace vncgate::gateway {

// Runs a session to its end; never throws. The session is in `registry` while it lives.
// `ticket` holds the connection's place under the handshake caps until it authenticates.
// `origin` is the client: the socket's peer, or the one a PROXY header named.
awaitable<void> run_session(tcp::socket socket, client_origin origin, std::shared_ptr<const runtime> rt,
                            std::size_t listener, services& svc, session_registry& registry,
                            handshake_ticket ticket);

std::string make_session_id();

class session {
 public:
  session(tcp::socket socket, const client_origin& origin, std::shared_ptr<const runtime> rt, std::size_t listener,
          services& svc, handshake_ticket ticket);

  awaitable<void> run();
  session_record& record() noexcept { return record_; }

  // After a reload: true if the new rules still admit this session's user to its
  // target. Sessions not yet past authorization are admitted (they finish under the
  // rules they started with, within the handshake timeout).
  bool admitted_by(const runtime& rt) const;
  // What the admin API lists: id, user, source, listener, target, state, started, bytes,
  // relay path and rights. On the session's own thread.
  boost::json::object describe() const;
  // Ends the session from outside (reload, the admin API, shutdown): records why; in the handshake it closes both
  // legs, which makes the pending reads fail; while relaying it lets session_clock end
  // the session, saying goodbye where the client can hear it (session_clock.cpp).
  void end(outcome o, std::string reason);

 private:
  awaitable<void> handshake();
  awaitable<bool> greet();
  awaitable<bool> authenticate();
  awaitable<bool> authorize();
  awaitable<bool> login_upstream();
  awaitable<bool> exchange_init();
  awaitable<void> relay();
  // relay.cpp: the copy path of each direction; client->target through the filter.
  awaitable<std::string> pump_client_to_target();
  awaitable<std::string> pump_target_to_client();
  // Client->target may leave the filter now: no rule needs it, the client's first
  // SetEncodings has passed (DesktopName is known), and no message is half through.
  bool input_may_be_spliced() const;
  // The client stopped sending: half-close towards the target, a grace period, the reason.
  awaitable<std::string> client_left(error_code ec);
  // relay_splice.cpp: splice(2) paths; `unsupported` set (and an empty reason returned)
  // when the kernel refuses splice before a byte has moved, so the copy path takes over.
  awaitable<std::string> splice_target_to_client(bool& unsupported);
  awaitable<std::string> splice_client_to_target(bool& unsupported);
  // session_clock.cpp: the idle timeout, the maximum session length and end() during
  // the relay; say_goodbye tells the client why, where it can.
  awaitable<std::string> session_clock();
  awaitable<std::string> say_goodbye();
  // "client closed", "target: Connection reset by peer": how a leg ended.
  static std::string ending(const error_code& ec, std::string_view who);
  // Copy-path buffer sizes (measured in docs/performance.md): framebuffer updates are the
  // bulk; the client sends input events and update requests.
  static constexpr std::size_t to_client_chunk = 64 * 1024;
  static constexpr std::size_t to_target_chunk = 16 * 1024;
  // The second factor a login must show: the target's own rule, else auth.second_factor.
  // At authentication the target is the one named (user@target) or the listener's.
  second_factor factor_for(std::optional<std::size_t> target_index) const;
  second_factor factor_at_login(std::string_view named_target) const;
  // Authentication refused: the same answer after the same delay, whatever the reason.
  awaitable<bool> refuse_login(std::chrono::steady_clock::time_point started, outcome o, std::string_view client_reason,
                               std::string detail);

  // Ends the handshake: records the outcome, logs `detail` for the operator and sends
  // `client_reason` in the form the protocol allows at this point.
  awaitable<bool> refuse(outcome o, std::string_view client_reason, std::string detail);
  // The outcome for a failed read from the client.
  awaitable<bool> client_read_failed(const read_failure& f, std::string_view during);
  awaitable<bool> send_to_client(const rfb::bytes& b);

  const listener_config& listener() const { return rt_->cfg.listeners[listener_]; }
  const target_config& target() const { return rt_->cfg.targets[*target_]; }

  // Where the client is in the handshake, which decides how a refusal is sent.
  enum class phase { before_version, choosing_type, in_security, done };

  std::shared_ptr<const runtime> rt_;
  std::size_t listener_;
  services& svc_;
  session_record record_;
  client_stream client_;
  message_reader client_in_;
  tcp::socket upstream_;
  message_reader upstream_in_;

  phase phase_ = phase::before_version;
  rfb::protocol_version client_version_ = rfb::protocol_version::v3_8;
  rfb::protocol_version upstream_version_ = rfb::protocol_version::v3_8;
  std::uint32_t vencrypt_subtype_ = 0;
  rfb::plain_credentials credentials_;
  std::string login_target_;                    // the target named in user@target
  std::optional<std::size_t> target_;
  std::vector<std::string> groups_;
  std::optional<std::string> certificate_user_;  // the user a verified client certificate names
  bool totp_verified_ = false;                  // a fresh TOTP code came with the password
  bool certificate_verified_ = false;           // the certificate's user is the one logged in
  std::string client_ended_;                    // how the client's stream ended, once it has

  handshake_ticket handshake_ticket_;           // released once authenticated
  std::string peer_host_;                       // the client's address, for PAM_RHOST
  std::string lockout_source_;                  // the source as lockout counts it
  std::optional<policy::session_slot> slot_;    // the place under the session caps
  rfb::filter_rules rights_;                    // what the client may send the target
  std::chrono::milliseconds idle_timeout_{0};   // 0: none
  std::chrono::milliseconds max_session_{0};    // 0: none
  std::chrono::steady_clock::time_point last_input_{};
  std::optional<rfb::client_message_filter> filter_;  // client->target, when rights need it
  bool greeted_ = false;                        // greet() came to an end (counted in the metrics)
  bool relaying_ = false;
  relay_path target_path_ = relay_path::copy;   // how target->client bytes move while relaying
  bool splice_to_target_ = false;               // client->target spliced once the filter has seen enough
  bool end_requested_ = false;                  // end() during the relay
  std::string end_reason_;
  bool farewell_ = false;                       // ending: pass nothing more to the target
  std::string farewell_text_;
  asio::steady_timer clock_;                    // session_clock's; end() cancels it
};

}  // namespace vncgate::gateway
