#include "gateway/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>

#include "gateway/client_certificate_check.hpp"

namespace vncgate::gateway {
namespace ssl = boost::asio::ssl;
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::unique_ptr<ssl::context> base_context() {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // No session cache: each VNC session is long-lived, resumption buys nothing here.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

}  // namespace

expected<tls_contexts, std::string> make_tls_contexts(const config& cfg) {
  tls_contexts out;
  out.x509 = base_context();
  SSL_CTX* x509 = out.x509->native_handle();
  SSL_CTX_set_cipher_list(x509, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20");
  if (SSL_CTX_use_certificate_chain_file(x509, cfg.tls.certificate.c_str()) != 1)
    return unexpected("cannot load TLS certificate " + cfg.tls.certificate.string() + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(x509, cfg.tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1)
    return unexpected("cannot load TLS private key " + cfg.tls.private_key.string() + ": " + openssl_error());
  if (SSL_CTX_check_private_key(x509) != 1)
    return unexpected("TLS private key " + cfg.tls.private_key.string() + " does not match certificate " +
                      cfg.tls.certificate.string());
  // mTLS: the trust for client certificates; each connection decides whether it asks.
  if (cfg.tls.client_ca) {
    auto enabled = enable_client_certificates(x509, *cfg.tls.client_ca, cfg.tls.client_crl);
    if (!enabled) return unexpected(enabled.error());
  }

  bool anonymous = std::any_of(cfg.listeners.begin(), cfg.listeners.end(),
                               [](const listener_config& l) { return l.allow_anonymous_tls; });
  if (anonymous) {
    // Anonymous (EC)DH exists only up to TLS 1.2 and only at security level 0.
    out.anonymous = base_context();
    SSL_CTX* anon = out.anonymous->native_handle();
    SSL_CTX_set_max_proto_version(anon, TLS1_2_VERSION);
    SSL_CTX_set_security_level(anon, 0);
    SSL_CTX_set_dh_auto(anon, 1);
    if (SSL_CTX_set_cipher_list(anon, "aNULL+AESGCM:aNULL+CHACHA20:aNULL:!eNULL:!SSLv3:@SECLEVEL=0") != 1)
      return unexpected("anonymous TLS cipher suites unavailable: " + openssl_error());
  }
  return out;
}

}  // namespace vncgate::gateway
