// proxy_header.hpp — the PROXY protocol header on a listener with proxy_protocol: true.
//
// The balancer's connection must start with a v1 or v2 header (proxy_protocol/header.hpp)
// within the handshake timeout; the client it names becomes the connection's origin for
// admission, lockout, rates, PAM_RHOST, the audit and the admin API. The header is read
// without taking a byte past it (MSG_PEEK, then exactly its bytes), so the client's TLS
// or RFB bytes stay in the socket for the session. A header that says the balancer
// itself is the peer (v1 UNKNOWN, v2 LOCAL: health checks) leaves the balancer as the
// origin. Runs on the connection's I/O thread; never throws for what the peer sends.
#pragma once

#include <chrono>

#include "gateway/admission.hpp"
#include "gateway/asio.hpp"
#include "gateway/peer.hpp"
#include "proxy_protocol/header.hpp"

namespace vncgate::gateway {

// The origin a decoded header gives a connection from `balancer`.
client_origin origin_from(const proxy_protocol::header& h, const client_origin& balancer);

// Reads the header from `socket` (whose peer is `balancer`, already trusted). Error: the
// refusal to audit, with reason proxy_header_missing, proxy_header_invalid,
// proxy_header_too_long, proxy_header_truncated or proxy_header_timeout.
awaitable<expected<client_origin, connection_refusal>> read_proxy_header(tcp::socket& socket,
                                                                         const client_origin& balancer,
                                                                         std::chrono::milliseconds timeout);

}  // namespace vncgate::gateway
