#include "gateway/client_certificate_check.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <cstring>

namespace vncgate::gateway {
namespace {

struct bio_free {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct crl_free {
  void operator()(X509_CRL* c) const noexcept { X509_CRL_free(c); }
};

int refuse_passphrase(char*, int, int, void*) { return -1; }

std::unique_ptr<BIO, bio_free> open_file(const std::filesystem::path& path, std::string& error) {
  errno = 0;
  std::unique_ptr<BIO, bio_free> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    const int err = errno;
    error = "cannot read " + path.string() + ": " + (err ? std::strerror(err) : "unknown error");
  }
  return bio;
}

// Reading stops at the end of the PEM data; anything else is a broken file.
bool clean_end_of_pem() {
  const unsigned long e = ERR_peek_last_error();
  const bool clean = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
  ERR_clear_error();
  return clean;
}

// Verifies the chain now and lets the handshake go on whatever the answer: OpenSSL keeps
// the first error as the connection's verify result (SSL_get_verify_result), which the
// session reads once TLS is up.
int verify_and_continue(X509_STORE_CTX* ctx, void*) {
  if (X509_verify_cert(ctx) != 1 && X509_STORE_CTX_get_error(ctx) == X509_V_OK)
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
  ERR_clear_error();
  return 1;
}

}  // namespace

namespace {

// Each adds the file's objects to `store`; the error is a sentence naming the file.
std::optional<std::string> add_ca_file(X509_STORE* store, const std::filesystem::path& ca) {
  std::string error;
  auto bio = open_file(ca, error);
  if (!bio) return "client CA file: " + error;
  int count = 0;
  while (std::unique_ptr<X509, x509_free> cert{PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)}) {
    X509_STORE_add_cert(store, cert.get());
    ++count;
  }
  if (!clean_end_of_pem()) return "client CA file " + ca.string() + ": broken PEM certificate";
  if (count == 0) return "no PEM certificate found in client CA file " + ca.string();
  return std::nullopt;
}

std::optional<std::string> add_crl_file(X509_STORE* store, const std::filesystem::path& crl) {
  std::string error;
  auto bio = open_file(crl, error);
  if (!bio) return "client CRL file: " + error;
  int count = 0;
  while (std::unique_ptr<X509_CRL, crl_free> c{PEM_read_bio_X509_CRL(bio.get(), nullptr, refuse_passphrase, nullptr)}) {
    X509_STORE_add_crl(store, c.get());
    ++count;
  }
  if (!clean_end_of_pem()) return "client CRL file " + crl.string() + ": broken PEM CRL";
  if (count == 0) return "no PEM CRL found in client CRL file " + crl.string();
  return std::nullopt;
}

}  // namespace

expected<x509_store_ptr, std::string> load_client_trust(const std::filesystem::path& ca,
                                                         const std::optional<std::filesystem::path>& crl) {
  x509_store_ptr store(X509_STORE_new());
  if (!store) return unexpected(std::string("out of memory"));
  if (auto error = add_ca_file(store.get(), ca)) return unexpected(std::move(*error));
  if (crl) {
    if (auto error = add_crl_file(store.get(), *crl)) return unexpected(std::move(*error));
    // Every certificate of the chain, not just the client's: an issuer without a CRL fails.
    X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  ERR_clear_error();
  return store;
}

std::optional<std::string> check_client_ca_file(const std::filesystem::path& ca) {
  x509_store_ptr store(X509_STORE_new());
  auto error = store ? add_ca_file(store.get(), ca) : std::optional<std::string>("out of memory");
  ERR_clear_error();
  return error;
}

std::optional<std::string> check_client_crl_file(const std::filesystem::path& crl) {
  x509_store_ptr store(X509_STORE_new());
  auto error = store ? add_crl_file(store.get(), crl) : std::optional<std::string>("out of memory");
  ERR_clear_error();
  return error;
}

expected<bool, std::string> enable_client_certificates(SSL_CTX* ctx, const std::filesystem::path& ca,
                                                       const std::optional<std::filesystem::path>& crl) {
  auto store = load_client_trust(ca, crl);
  if (!store) return unexpected(store.error());
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
  if (names == nullptr) {
    ERR_clear_error();
    return unexpected("cannot read the CA names in client CA file " + ca.string());
  }
  SSL_CTX_set_client_CA_list(ctx, names);                  // takes ownership
  SSL_CTX_set0_verify_cert_store(ctx, store->release());   // takes ownership
  SSL_CTX_set_cert_verify_callback(ctx, verify_and_continue, nullptr);
  return true;
}

void request_client_certificate(SSL* ssl, bool request) {
  // Without SSL_VERIFY_FAIL_IF_NO_PEER_CERT: a missing certificate is the session's call.
  SSL_set_verify(ssl, request ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
}

client_certificate_status check_client_certificate(SSL* ssl, auth::certificate_identity identity) {
  client_certificate_status status;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return status;
  status.presented = true;
  status.subject = auth::certificate_subject(cert);
  status.serial = auth::certificate_serial(cert);
  const long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) {
    status.problem = X509_verify_cert_error_string(result);
    return status;
  }
  status.verified = true;
  auto user = auth::certificate_user(cert, identity);
  if (user)
    status.user = std::move(*user);
  else
    status.mapping_error = user.error();
  return status;
}

}  // namespace vncgate::gateway
