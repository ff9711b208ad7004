// peer.hpp — who is at the other end of a client connection: the socket's peer, or the
// client a trusted load balancer's PROXY protocol header names. Every policy decision
// (address rules, rates, lockout), PAM_RHOST, the audit trail and the admin API use the
// origin, never the raw socket. An IPv4 peer on a dual-stack socket (::ffff:a.b.c.d) is
// IPv4 throughout.
#pragma once

#include <optional>
#include <string>

#include "gateway/asio.hpp"
#include "policy/address.hpp"

namespace vncgate::gateway {

struct client_origin {
  policy::address address;
  std::uint16_t port = 0;
  // The balancer's end ("10.0.0.2:41000") when a PROXY header named the client; empty
  // when the connection came straight from the client.
  std::string proxy;

  // "192.0.2.1:40000", "[2001:db8::1]:40000".
  std::string text() const;
};

// The socket's peer as an origin; nullopt when the socket has no peer (already gone).
std::optional<client_origin> origin_of(const tcp::socket& s);

// The socket's peer as text ("192.0.2.1:40000"); "unknown" when it has none.
std::string peer_text(const tcp::socket& s);

policy::address to_policy_address(const asio::ip::address& a);

}  // namespace vncgate::gateway
