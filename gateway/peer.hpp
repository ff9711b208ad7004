// peer.hpp — a connected socket's remote end, as the audit writes it and as policy
// decides on it. An IPv4 peer on a dual-stack socket (::ffff:a.b.c.d) is IPv4 in both.
#pragma once

#include <string>

#include "gateway/asio.hpp"
#include "policy/address.hpp"

namespace vncgate::gateway {

// "192.0.2.1:40000", "[2001:db8::1]:40000"; "unknown" when the socket has no peer.
std::string peer_text(const tcp::socket& s);

policy::address to_policy_address(const asio::ip::address& a);

}  // namespace vncgate::gateway
