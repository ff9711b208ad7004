// server.hpp — the listeners and the I/O threads.
//
// One io_context per worker thread. Each listener address is bound once per worker with
// SO_REUSEPORT, so the kernel spreads new connections over the workers and a session
// lives its whole life on the thread that accepted it. Sessions get the runtime that
// is current when they are accepted. Accept errors (EMFILE, ...) are logged and retried
// after 100 ms; they never stop the listener.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "gateway/asio.hpp"
#include "gateway/runtime.hpp"

namespace vncgate::gateway {

class server {
 public:
  server(std::shared_ptr<const runtime> rt, services svc, std::size_t workers);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Opens every listener on every worker. Error: which address and why.
  expected<bool, std::string> bind();
  // Serves until SIGTERM or SIGINT; returns the process exit code.
  int run();

 private:
  struct worker;
  awaitable<void> accept_loop(tcp::acceptor& acceptor, std::size_t listener);
  awaitable<void> handle_signals();
  void stop();

  std::atomic<std::shared_ptr<const runtime>> runtime_;
  services svc_;
  std::vector<std::unique_ptr<worker>> workers_;
};

}  // namespace vncgate::gateway
