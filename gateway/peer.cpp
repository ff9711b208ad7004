#include "gateway/peer.hpp"

namespace vncgate::gateway {

std::string client_origin::text() const {
  const std::string host = address.to_string();
  return address.is_v4() ? host + ":" + std::to_string(port) : "[" + host + "]:" + std::to_string(port);
}

std::optional<client_origin> origin_of(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return std::nullopt;
  return client_origin{to_policy_address(ep.address()), ep.port(), {}};
}

std::string peer_text(const tcp::socket& s) {
  auto origin = origin_of(s);
  return origin ? origin->text() : "unknown";
}

policy::address to_policy_address(const asio::ip::address& a) {
  return a.is_v4() ? policy::address::v4(a.to_v4().to_bytes()) : policy::address::v6(a.to_v6().to_bytes());
}

}  // namespace vncgate::gateway
