// runtime.hpp — what a session needs from the rest of the gateway.
//
// `runtime` is one loaded configuration plus everything built from it (TLS contexts,
// the authentication backend). It is immutable and shared: each session holds a
// shared_ptr to the runtime it started with, so a reload never changes a session
// mid-way. `services` are the long-lived parts that outlive every session.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "auth/backend.hpp"
#include "auth/totp_factor.hpp"
#include "gateway/admission.hpp"
#include "gateway/audit.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/tls_context.hpp"

namespace vncgate::gateway {

struct runtime {
  config cfg;
  tls_contexts tls;
  std::unique_ptr<auth::backend> backend;
};

// Builds the TLS contexts and the backend for a loaded config. Error: why it cannot
// serve it (a key that does not load, DES missing while a target uses VncAuth).
expected<std::shared_ptr<const runtime>, std::string> make_runtime(config cfg);

struct services {
  audit_log& audit;
  boost::asio::thread_pool& auth_pool;  // bounded: PAM and crypt never run on I/O threads
  admission& gate;                      // rates, handshake caps, lockout, session caps
  auth::totp_replay_guard& totp_guard;  // TOTP steps already used, per user: kept across reloads
  metrics& stats;                       // the Prometheus metrics (any thread counts)
};

}  // namespace vncgate::gateway
