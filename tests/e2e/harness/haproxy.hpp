// haproxy.hpp — a real HAProxy (Debian's haproxy) in TCP mode in front of a gateway
// listener, as a load balancer would be: it listens on 127.0.0.1:port() and opens one
// connection to 127.0.0.1:backend_port for each client, sending a PROXY protocol header
// first (`send-proxy` for v1, `send-proxy-v2` for v2). Started in the foreground (-db)
// with its config under dir; the constructor returns once it listens, and throws
// std::runtime_error with its output when it does not. Blocking; one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

class haproxy_server {
 public:
  // `send_proxy`: "send-proxy" (v1) or "send-proxy-v2" (v2).
  haproxy_server(const temp_dir& dir, std::uint16_t backend_port, const std::string& send_proxy);
  ~haproxy_server();
  haproxy_server(const haproxy_server&) = delete;
  haproxy_server& operator=(const haproxy_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string output() const;

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<process> server_;
};

}  // namespace vncgate::e2e
