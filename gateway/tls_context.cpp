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

std::unique_ptr<ssl::context> base_context(bool kernel_tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // OpenSSL on the socket (client_stream.hpp): record buffers freed whenever they are
  // empty (an idle session holds none), a write may return after each record, and a
  // read takes what the socket has (fewer system calls for small input messages).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_CTX_set_read_ahead(native, 1);
  // kTLS: after the handshake OpenSSL offers the keys to the kernel (TCP_ULP "tls"); a
  // kernel without it says no and the session stays in user space (kernel_tls.hpp).
  if (kernel_tls) SSL_CTX_set_options(native, SSL_OP_ENABLE_KTLS);
  // No session cache and no TLS 1.3 tickets: each VNC session is long-lived and logs in
  // again anyway, so resumption buys nothing; the tickets would cost every handshake
  // two encryptions and a write.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(native, 0);
  return ctx;
}

}  // namespace

expected<tls_contexts, std::string> make_tls_contexts(const config& cfg) {
  tls_contexts out;
  out.x509 = base_context(cfg.tls.kernel_tls);
  SSL_CTX* x509 = out.x509->native_handle();
  // AEAD only, forward secrecy only; AES-128-GCM first (Mozilla's "intermediate" order):
  // as safe in practice and a third cheaper than AES-256 for a stream of framebuffers.
  // These are also what the kernel's TLS offload takes.
  SSL_CTX_set_cipher_list(x509, "ECDHE+AESGCM+AES128:ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM+AES128:DHE+AESGCM:DHE+CHACHA20");
  SSL_CTX_set_ciphersuites(x509, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
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
    out.anonymous = base_context(cfg.tls.kernel_tls);
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
