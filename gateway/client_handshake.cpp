// The client side of the handshake: version, security type, VeNCrypt, TLS, client
// certificate, Plain credentials. Stage `greet` of the session (see session.hpp).
#include <boost/asio/ssl/error.hpp>
#include <vector>

#include "gateway/client_certificate_check.hpp"
#include "gateway/log.hpp"
#include "gateway/session.hpp"
#include "rfb/security.hpp"

namespace vncgate::gateway {
namespace {

struct certificate_refusal {
  std::string client_reason;
  std::string detail;
};

// The client certificate of a TLS handshake that asked for one: audited once; `user` set
// for a presented, verified and mapped one. Returns why the session must end, if it must.
// A certificate that does not verify is refused even where it is optional: the client
// offered an identity the gateway cannot trust.
std::optional<certificate_refusal> judge_client_certificate(SSL* ssl, client_certificate_mode mode,
                                                            auth::certificate_identity identity,
                                                            session_record& record,
                                                            std::optional<std::string>& user) {
  const auto status = check_client_certificate(ssl, identity);
  const bool required = mode == client_certificate_mode::required;
  std::optional<certificate_refusal> refusal;
  std::string reason;
  if (!status.presented) {
    if (required) {
      reason = "no client certificate";
      refusal = {"this gateway requires a client certificate", "the client presented no certificate"};
    }
  } else if (!status.verified) {
    reason = status.problem;
    refusal = {"client certificate not accepted: " + status.problem,
               "client certificate " + status.subject + " (serial " + status.serial + ") not accepted: " +
                   status.problem};
  } else if (!status.user) {
    reason = status.mapping_error;
    if (required) {
      refusal = {"client certificate names no user (" + std::string(auth::field_name(identity)) + ")",
                 "client certificate " + status.subject + " (serial " + status.serial +
                     ") names no user: " + status.mapping_error};
    }
  } else {
    user = status.user;
  }

  boost::json::object r{{"event", "client_certificate"},
                        {"result", refusal ? "refused" : status.presented && status.verified ? "verified" : "absent"}};
  if (status.presented) {
    r.emplace("subject", status.subject);
    r.emplace("serial", status.serial);
  }
  if (status.user) r.emplace("user", *status.user);
  if (!reason.empty()) r.emplace("reason", reason);
  record.audit(std::move(r));
  return refusal;
}

}  // namespace

awaitable<bool> session::greet() {
  const auto& l = listener();
  const bool ask_certificate = l.client_certificate != client_certificate_mode::off;
  // Told to the client where RFB first lets it read a reason: after the version exchange
  // on a tls listener, in the VeNCrypt SecurityResult otherwise.
  std::optional<certificate_refusal> certificate_refused;
  if (l.security == listener_security::tls) {
    if (auto ec = co_await client_.start_tls(*rt_->tls.x509, ask_certificate)) {
      svc_.stats.tls_handshake_failed(l.security);
      record_.set_outcome(outcome::tls_failed, "TLS handshake failed: " + ec.message());
      co_return false;
    }
    if (ask_certificate)
      certificate_refused = judge_client_certificate(client_.ssl(), l.client_certificate,
                                                     rt_->cfg.tls.client_identity, record_, certificate_user_);
  }

  // ProtocolVersion: we announce 3.8 and speak what the client answers.
  if (!co_await send_to_client(rfb::encode_version(rfb::protocol_version::v3_8))) co_return false;
  auto version = co_await client_in_.read<rfb::protocol_version>(client_, rfb::decode_version);
  if (!version) co_return co_await client_read_failed(version.error(), "version negotiation");
  client_version_ = *version;
  phase_ = phase::choosing_type;
  if (certificate_refused)
    co_return co_await refuse(outcome::certificate_refused, certificate_refused->client_reason,
                              std::move(certificate_refused->detail));

  // VeNCrypt needs the security-type list of 3.7+; a 3.3 client cannot be served.
  if (client_version_ == rfb::protocol_version::v3_3)
    co_return co_await refuse(outcome::no_common_security,
                              "this gateway requires VeNCrypt (RFB 3.7 or later) with TLS",
                              "client speaks RFB 3.3, which cannot negotiate VeNCrypt");
  const std::uint8_t offered[] = {rfb::security_type::vencrypt};
  if (!co_await send_to_client(rfb::encode_security_types(offered))) co_return false;
  auto choice = co_await client_in_.read<std::uint8_t>(client_, rfb::decode_security_choice);
  if (!choice) co_return co_await client_read_failed(choice.error(), "security type choice");
  phase_ = phase::in_security;
  if (*choice != rfb::security_type::vencrypt)
    co_return co_await refuse(outcome::no_common_security,
                              "this gateway requires VeNCrypt with TLS; update or configure the VNC client",
                              "client chose security type " + std::to_string(*choice) + ", only VeNCrypt (19) is offered");

  // VeNCrypt 0.2.
  if (!co_await send_to_client(rfb::encode_vencrypt_version())) co_return false;
  auto vv = co_await client_in_.read<rfb::vencrypt_version>(client_, rfb::decode_vencrypt_version);
  if (!vv) co_return co_await client_read_failed(vv.error(), "VeNCrypt version");
  if (vv->major != 0 || vv->minor != 2) {
    co_await send_to_client(rfb::encode_vencrypt_version_ack(false));
    record_.set_outcome(outcome::no_common_security, "client VeNCrypt version " + std::to_string(vv->major) + "." +
                                                         std::to_string(vv->minor) + ", only 0.2 is supported");
    co_return false;
  }
  if (!co_await send_to_client(rfb::encode_vencrypt_version_ack(true))) co_return false;

  // A TLS listener is private already: Plain inside it. So is a plain listener, whose
  // client leg the administrator declared protected in front of the gateway
  // (client_leg_protected). Otherwise TLS inside VeNCrypt.
  std::vector<std::uint32_t> subtypes;
  if (l.security != listener_security::vencrypt) {
    subtypes = {rfb::vencrypt_subtype::plain};
  } else {
    subtypes = {rfb::vencrypt_subtype::x509_plain};
    if (l.allow_anonymous_tls) subtypes.push_back(rfb::vencrypt_subtype::tls_plain);
  }
  if (!co_await send_to_client(rfb::encode_vencrypt_subtypes(subtypes))) co_return false;
  auto sub = co_await client_in_.read<std::uint32_t>(client_, rfb::decode_vencrypt_subtype_choice);
  if (!sub) co_return co_await client_read_failed(sub.error(), "VeNCrypt subtype choice");
  if (std::find(subtypes.begin(), subtypes.end(), *sub) == subtypes.end()) {
    // VeNCrypt has no refusal message for a subtype: closing is the answer.
    record_.set_outcome(outcome::no_common_security, "client chose VeNCrypt subtype " + std::to_string(*sub) +
                                                         ", offered " + comma_list(subtypes));
    co_return false;
  }
  vencrypt_subtype_ = *sub;

  if (*sub != rfb::vencrypt_subtype::plain) {
    // "1" tells the client to start TLS; nothing may arrive before its ClientHello.
    if (!co_await send_to_client(rfb::encode_vencrypt_subtype_ack(true))) co_return false;
    if (!client_in_.empty())
      co_return co_await refuse(outcome::protocol_error, "protocol error", "client sent data before the TLS handshake");
    // Anonymous TLS (TLSPlain) has no certificate to ask for.
    bool anonymous = *sub == rfb::vencrypt_subtype::tls_plain;
    bool ask = ask_certificate && !anonymous;
    if (auto ec = co_await client_.start_tls(anonymous ? *rt_->tls.anonymous : *rt_->tls.x509, ask)) {
      svc_.stats.tls_handshake_failed(l.security);
      record_.set_outcome(outcome::tls_failed, "TLS handshake failed: " + ec.message());
      co_return false;
    }
    if (ask)
      certificate_refused = judge_client_certificate(client_.ssl(), l.client_certificate,
                                                     rt_->cfg.tls.client_identity, record_, certificate_user_);
  }

  auto creds = co_await client_in_.read<rfb::plain_credentials>(client_, rfb::decode_plain_credentials);
  if (!creds) co_return co_await client_read_failed(creds.error(), "VeNCrypt Plain credentials");
  if (certificate_refused) {
    // The client sends Plain right after TLS and reads the SecurityResult only then:
    // its credentials were read for that alone, and are wiped unused.
    *creds = rfb::plain_credentials{};
    co_return co_await refuse(outcome::certificate_refused, certificate_refused->client_reason,
                              std::move(certificate_refused->detail));
  }
  credentials_ = std::move(*creds);
  co_return true;
}

}  // namespace vncgate::gateway
