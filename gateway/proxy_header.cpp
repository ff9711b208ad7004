#include "gateway/proxy_header.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <vector>

namespace vncgate::gateway {
namespace {

namespace pp = proxy_protocol;
using header_result = expected<client_origin, connection_refusal>;

connection_refusal refusal(pp::error e) {
  const char* reason = e == pp::error::not_a_header ? "proxy_header_missing"
                       : e == pp::error::too_long   ? "proxy_header_too_long"
                                                    : "proxy_header_invalid";
  return {reason, std::string(pp::describe(e))};
}

// Reads the header: peeks at what has arrived, and takes from the socket only bytes the
// decoder says are the header's (all of them while it is incomplete).
awaitable<header_result> read_header(tcp::socket& socket, const client_origin& balancer) {
  std::vector<std::uint8_t> buffer(pp::max_header_size);
  std::size_t taken = 0;  // header bytes already read from the socket into buffer
  const int fd = socket.native_handle();
  for (;;) {
    auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
    if (wait_ec == asio::error::operation_aborted) co_return unexpected(connection_refusal{});  // timed out
    const ssize_t peeked = wait_ec ? -1 : ::recv(fd, buffer.data() + taken, buffer.size() - taken, MSG_PEEK | MSG_DONTWAIT);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !wait_ec) continue;
    if (peeked <= 0) {
      co_return unexpected(connection_refusal{
          "proxy_header_truncated", taken == 0 ? "the connection closed before a PROXY protocol header"
                                               : "the connection closed within its PROXY protocol header (" +
                                                     std::to_string(taken) + " bytes)"});
    }
    const std::size_t seen = taken + static_cast<std::size_t>(peeked);
    auto result = pp::parse_header(std::span<const std::uint8_t>(buffer.data(), seen));
    if (auto* e = std::get_if<pp::error>(&result)) co_return unexpected(refusal(*e));
    const auto* h = std::get_if<pp::header>(&result);
    const std::size_t wanted = (h ? h->size : seen) - taken;
    // The bytes were just peeked, so this read takes them at once.
    const ssize_t n = ::recv(fd, buffer.data() + taken, wanted, MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(wanted))
      co_return unexpected(connection_refusal{"proxy_header_truncated", "the PROXY protocol header could not be read"});
    taken += wanted;
    if (h) co_return origin_from(*h, balancer);
  }
}

}  // namespace

client_origin origin_from(const pp::header& h, const client_origin& balancer) {
  client_origin origin = balancer;
  origin.proxy = balancer.text();
  if (!h.source) return origin;
  const auto& a = h.source->address;
  origin.address = h.source->v4 ? policy::address::v4({a[0], a[1], a[2], a[3]}) : policy::address::v6(a);
  origin.port = h.source->port;
  return origin;
}

awaitable<header_result> read_proxy_header(tcp::socket& socket, const client_origin& balancer,
                                           std::chrono::milliseconds timeout) {
  auto first = co_await (read_header(socket, balancer) || after(timeout));
  if (first.index() == 1) {
    co_return unexpected(connection_refusal{
        "proxy_header_timeout", "no complete PROXY protocol header within " + std::to_string(timeout.count()) + " ms"});
  }
  co_return std::move(std::get<0>(first));
}

}  // namespace vncgate::gateway
