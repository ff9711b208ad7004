// admin_server.hpp — the admin listener (metrics.address): a small HTTP/1.1 server.
//
//   GET /metrics  200, the Prometheus text format 0.0.4 (metrics::text())
//   GET /healthz  200 "ok" while the process runs
//   GET /readyz   200 "ready" once set_ready(true) (listeners bound, config loaded, not
//                 draining), 503 "not ready" otherwise
//   another path 404; another method 405 (with Allow: GET)
//
// Boost.Beast over Asio, one coroutine per connection, keep-alive. Requests are bounded
// (8 KiB of headers, no body) and each read has a 10 s deadline, so a slow or hostile
// peer costs one descriptor for a while and nothing else. It runs on its own thread and
// io_context, so a scrape never delays the relay and a busy worker never delays a scrape.
// start() binds (the caller reports an error); stop() (or the destructor) closes the
// listener and every connection and joins the thread. set_ready may be called from any
// thread. The metrics object must outlive it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gateway/asio.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"

namespace vncgate::gateway {

class admin_server {
 public:
  explicit admin_server(const metrics& m);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Binds `where` and starts serving on the server's own thread. Error: why not.
  expected<bool, std::string> start(const endpoint& where);
  void stop();
  // The bound port (for where.port 0).
  std::uint16_t port() const noexcept { return port_; }

  void set_ready(bool ready) noexcept { ready_.store(ready, std::memory_order_relaxed); }
  bool ready() const noexcept { return ready_.load(std::memory_order_relaxed); }

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  const metrics& metrics_;
  asio::io_context io_{1};
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace vncgate::gateway
