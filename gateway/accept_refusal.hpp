// accept_refusal.hpp — what a connection refused at accept gets: an audit record, and
// either nothing at all (closed before the first byte) or, where configured, an RFB
// failure message with the reason, for internal networks where clarity wins.
//
// Greeting costs a descriptor for up to two seconds, so at most `max_greetings`
// refused connections are greeted at once; beyond that they are closed like the rest
// (a flood must not turn the courtesy into a way to hold descriptors). A `tls`
// listener's clients expect TLS first, so its refusals are always closed.
#pragma once

#include <string>

#include "gateway/admission.hpp"
#include "gateway/asio.hpp"
#include "gateway/audit.hpp"
#include "gateway/peer.hpp"

namespace vncgate::gateway {

inline constexpr std::size_t max_greetings = 64;

// "connection refused" for address rules, "too many connections; try again later" else.
std::string_view client_reason(const connection_refusal& r) noexcept;

// Audits the refusal of `origin` (the client, or the balancer when its PROXY header was
// refused); closes `socket` now, or greets it on its executor when `greet`.
void refuse_connection(tcp::socket socket, const client_origin& origin, const connection_refusal& why,
                       const std::string& listener, bool greet, audit_log& audit);

}  // namespace vncgate::gateway
