#include "gateway/peer.hpp"

namespace vncgate::gateway {

std::string peer_text(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  return addr.is_v6() ? "[" + addr.to_string() + "]:" + std::to_string(ep.port())
                      : addr.to_string() + ":" + std::to_string(ep.port());
}

policy::address to_policy_address(const asio::ip::address& a) {
  return a.is_v4() ? policy::address::v4(a.to_v4().to_bytes()) : policy::address::v6(a.to_v6().to_bytes());
}

}  // namespace vncgate::gateway
