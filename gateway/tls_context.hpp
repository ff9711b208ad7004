// tls_context.hpp — the server-side TLS settings every client leg uses.
//
// Built once at start-up (and on reload) from the configured certificate and key;
// shared read-only by all I/O threads afterwards. TLS 1.2 is the floor; renegotiation
// is off; TLS 1.2 cipher suites are forward-secret AEAD only. With tls.client_ca the
// x509 context can ask for client certificates (client_certificate_check.hpp); the
// listener's client_certificate setting decides per connection whether it does.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "gateway/config.hpp"

namespace vncgate::gateway {

struct tls_contexts {
  std::unique_ptr<boost::asio::ssl::context> x509;       // certificate-authenticated
  std::unique_ptr<boost::asio::ssl::context> anonymous;  // TLSPlain: only when a listener allows it
};

// Error: a sentence naming the file that failed.
expected<tls_contexts, std::string> make_tls_contexts(const config& cfg);

}  // namespace vncgate::gateway
