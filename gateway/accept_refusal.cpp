#include "gateway/accept_refusal.hpp"

#include <atomic>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "gateway/log.hpp"
#include "rfb/security.hpp"
#include "rfb/version.hpp"

namespace vncgate::gateway {
namespace {

constexpr auto greeting_time = std::chrono::seconds(2);
std::atomic<std::size_t> greetings_in_flight{0};

// Version exchange, then the failure in the form the client's version reads.
awaitable<void> send_failure(tcp::socket& socket, std::string reason) {
  auto hello = rfb::encode_version(rfb::protocol_version::v3_8);
  auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(hello), use_tuple);
  if (wec) co_return;
  std::array<std::uint8_t, rfb::version_message_size> answer{};
  auto [rec, rn] = co_await asio::async_read(socket, asio::buffer(answer), use_tuple);
  if (rec) co_return;
  auto version = rfb::decode_version(rfb::byte_view(answer.data(), rn));
  auto v = version ? version->value : rfb::protocol_version::v3_8;
  auto failure = rfb::encode_handshake_failure(v, reason);
  co_await asio::async_write(socket, asio::buffer(failure), use_tuple);
}

awaitable<void> greet(tcp::socket socket, std::string reason) {
  struct slot {
    ~slot() { --greetings_in_flight; }
  } held;
  co_await (send_failure(socket, std::move(reason)) || after(greeting_time));
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

std::string_view client_reason(const connection_refusal& r) noexcept {
  return r.reason == "address_denied" ? "connection refused" : "too many connections; try again later";
}

void refuse_connection(tcp::socket socket, const client_origin& origin, const connection_refusal& why,
                       const std::string& listener, bool greet_it, audit_log& audit) {
  const std::string source = origin.text();
  boost::json::object record{{"event", "connection_refused"},
                             {"source", source},
                             {"listener", listener},
                             {"reason", why.reason},
                             {"detail", why.detail}};
  if (!origin.proxy.empty()) record.emplace("proxy", origin.proxy);
  audit.write(record);
  log_info("refused " + source + (origin.proxy.empty() ? "" : " (through " + origin.proxy + ")") + " on " +
           listener + ": " + why.reason + ", " + why.detail);
  if (greet_it && greetings_in_flight.fetch_add(1) < max_greetings) {
    auto executor = socket.get_executor();
    asio::co_spawn(executor, greet(std::move(socket), std::string(client_reason(why))), [](std::exception_ptr) {});
    return;
  }
  if (greet_it) --greetings_in_flight;
  error_code ignored;
  socket.close(ignored);
}

}  // namespace vncgate::gateway
