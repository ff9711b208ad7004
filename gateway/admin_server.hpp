// admin_server.hpp — the admin listener (metrics.address): a small HTTP/1.1 server.
//
//   GET    /metrics              200, the Prometheus text format 0.0.4 (metrics::text())
//   GET    /healthz              200 "ok" while the process runs
//   GET    /readyz               200 "ready" once set_ready(true) (listeners bound, config
//                                loaded, not draining), 503 "not ready" otherwise
//   GET    /api/sessions         200, the live sessions as JSON
//   GET    /api/sessions/ID      200, one session; 404 when there is none with that id
//   DELETE /api/sessions/ID      200, the session is ended ("session ended by administrator")
//   POST   /api/reload           200 when the configuration file was reloaded, 422 with the
//                                reason when it was not (the old configuration stays)
//   another path 404; another method 405 (with Allow)
//
// /api/ needs `Authorization: Bearer <token>` with the token of metrics.admin_token_file
// (compared in constant time); without it 401, and without a configured token 403. Every
// /api/ request is audited (`admin_request`: source, method, path, status, result),
// refusals included. The metrics and health endpoints need no token: they hold no user
// names and no secrets (configuration rejects a non-loopback address without a token).
//
// Boost.Beast over Asio, one coroutine per connection, keep-alive, at most
// max_connections at once (more are closed at accept and counted). Requests are bounded
// (8 KiB of headers, no body) and each read has a 10 s deadline. It runs on its own
// thread and io_context, so a scrape never delays the relay and a busy worker never
// delays a scrape; what the API asks of the sessions goes to their workers through
// admin_control. start() binds (the caller reports an error); stop() (or the destructor)
// closes the listener and every connection and joins the thread. set_ready and set_token
// may be called from any thread. metrics, audit and control must outlive it.
#pragma once

#include <boost/json/array.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/asio.hpp"
#include "gateway/audit.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"

namespace vncgate::gateway {

// What the admin API asks of the gateway (the server implements it). Each call returns
// at once and calls `done` exactly once, from any thread, unless the gateway stops first.
class admin_control {
 public:
  // Every live session, session::describe() each.
  virtual void list_sessions(std::function<void(boost::json::array)> done) = 0;
  // Ends session `id`; done(false) when no live session has that id.
  virtual void end_session(std::string id, std::function<void(bool)> done) = 0;
  // Reloads the configuration file as SIGHUP does; done("") on success, else why not.
  virtual void reload(std::function<void(std::string)> done) = 0;

 protected:
  ~admin_control() = default;
};

class admin_server {
 public:
  admin_server(metrics& m, audit_log& audit, admin_control& control);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Binds `where` and starts serving on the server's own thread. Error: why not.
  expected<bool, std::string> start(const endpoint& where, std::size_t max_connections);
  void stop();
  // The bound port (for where.port 0).
  std::uint16_t port() const noexcept { return port_; }

  void set_ready(bool ready) noexcept { ready_.store(ready, std::memory_order_relaxed); }
  bool ready() const noexcept { return ready_.load(std::memory_order_relaxed); }
  // The bearer token for /api/ (a reload may change it); empty turns the API off.
  void set_token(const std::string& token);

  struct request_context;

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);
  awaitable<void> answer_api(request_context& rc);
  // The token check for /api/: empty when the request may go on, else the refusal.
  std::string refuse_unauthorized(request_context& rc);
  // Runs start(callback) and resumes here, on io_, with what the callback was given.
  template <class T, class Start>
  awaitable<T> ask(Start start);

  metrics& metrics_;
  audit_log& audit_;
  admin_control& control_;
  asio::io_context io_{1};
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::size_t max_connections_ = 16;
  std::size_t connections_ = 0;  // io_'s thread only
  std::atomic<bool> ready_{false};
  std::mutex token_mutex_;
  std::string token_digest_;  // SHA-256 of the token; empty: no token
};

}  // namespace vncgate::gateway
