// client_certificate_check.hpp — client certificates (mTLS): the trust loaded from
// tls.client_ca / tls.client_crl, and what a finished TLS handshake says about the
// certificate the client presented.
//
// The TLS layer verifies the chain during the handshake but never aborts it for a bad
// certificate (a TLS alert carries no text): the session reads the result afterwards
// with check_client_certificate and refuses inside RFB, where it can say why.
// Loading reads files (blocking; start-up and reload only). check_client_certificate is
// pure over the SSL object and runs on the session's thread.
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "auth/client_certificate.hpp"
#include "rfb/expected.hpp"

namespace vncgate::gateway {

struct x509_store_free {
  void operator()(X509_STORE* s) const noexcept { X509_STORE_free(s); }
};
using x509_store_ptr = std::unique_ptr<X509_STORE, x509_store_free>;

// The store client chains are verified against: the CA certificates of `ca` (PEM, at
// least one) and, when `crl` is given, its CRLs (PEM, at least one) with CRL checking of
// the whole chain switched on. Error: a sentence naming the file.
expected<x509_store_ptr, std::string> load_client_trust(const std::filesystem::path& ca,
                                                         const std::optional<std::filesystem::path>& crl);

// The same checks one file at a time, for load_config to place an error at its key:
// nullopt when the file holds at least one PEM certificate (CRL) and nothing broken.
std::optional<std::string> check_client_ca_file(const std::filesystem::path& ca);
std::optional<std::string> check_client_crl_file(const std::filesystem::path& crl);

// Makes `ctx` able to ask for client certificates: the CA names it sends, the store it
// verifies against, and a verification that records its result instead of failing the
// handshake. Whether a connection asks at all is set per connection (request_client_certificate).
// Error: a sentence naming the file.
expected<bool, std::string> enable_client_certificates(SSL_CTX* ctx, const std::filesystem::path& ca,
                                                       const std::optional<std::filesystem::path>& crl);

// Before the handshake: ask this connection's client for a certificate, or not.
void request_client_certificate(SSL* ssl, bool request);

struct client_certificate_status {
  bool presented = false;             // the client sent a certificate
  bool verified = false;              // its chain verified against client_ca (and the CRLs)
  std::string problem;                // presented, not verified: OpenSSL's reason
  std::optional<std::string> user;    // verified and mapped to a user name
  std::string mapping_error;          // verified, not mapped: why
  std::string subject;                // presented: one printable line, bounded
  std::string serial;                 // presented: hex
};

// After the server-side handshake on `ssl`.
client_certificate_status check_client_certificate(SSL* ssl, auth::certificate_identity identity);

}  // namespace vncgate::gateway
