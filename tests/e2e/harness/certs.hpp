// certs.hpp — a self-signed TLS certificate for the gateway, made with `openssl req`, and
// a small client PKI for mTLS tests.
//
// One EC P-256 certificate, CN=localhost, SAN DNS:localhost + IP:127.0.0.1, valid 30
// days; clients use cert.pem itself as their CA file. The key is written mode 600 (the
// gateway refuses a readable key). Blocking (runs openssl, ~50 ms; the PKI ~300 ms).
#pragma once

#include <openssl/x509.h>

#include <filesystem>
#include <string>

#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

struct certs {
  std::filesystem::path certificate{};  // PEM; also the CA file for clients
  std::filesystem::path private_key{};  // PEM, mode 600
};

// Writes cert.pem and key.pem under dir/`subdir`; throws std::runtime_error on failure.
certs make_certs(const temp_dir& dir, const std::string& subdir = "tls");

// The SHA-256 fingerprint of a certificate (of its DER encoding), lower-case hex: what
// `openssl x509 -fingerprint -sha256` prints, without the colons. The file version reads
// the first PEM certificate and throws std::runtime_error when there is none.
std::string certificate_sha256(X509* cert);
std::string certificate_sha256(const std::filesystem::path& pem);

// Client certificates (CN = the user, extendedKeyUsage clientAuth, keys mode 600) from
// a test CA, made with `openssl req`, `openssl x509 -req` and `openssl ca -revoke/-gencrl`.
struct client_pki {
  std::filesystem::path ca{};        // the CA certificate: tls.client_ca
  std::filesystem::path crl{};       // a CRL from `ca` that lists `revoked`: tls.client_crl
  std::filesystem::path empty_crl{}; // a CRL from `ca` that lists nothing
  std::filesystem::path other_crl{}; // a CRL from `other_ca` that lists nothing
  std::filesystem::path other_ca{};  // an unrelated CA (own key) with the same subject name,
                                     // so clients that pick a certificate by the server's CA
                                     // names (GnuTLS) still send `stranger`
  certs alice{};                     // CN=alice, from `ca`
  certs bob{};                       // CN=bob, from `ca`
  certs revoked{};                   // CN=alice, from `ca`, revoked in `crl`
  certs stranger{};                  // CN=alice, from `other_ca`
};

// Writes the PKI under dir/`subdir`; throws std::runtime_error on failure.
client_pki make_client_pki(const temp_dir& dir, const std::string& subdir = "pki");

}  // namespace vncgate::e2e
