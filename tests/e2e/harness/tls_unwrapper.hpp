// tls_unwrapper.hpp — socat turning a `security: tls` gateway listener back into plain
// TCP, so a client without TLS-first support (libvncclient) can use it:
//   socat TCP-LISTEN:P,bind=127.0.0.1,reuseaddr,fork OPENSSL:127.0.0.1:GW,cafile=cert.pem
// socat verifies the gateway's certificate (SAN IP:127.0.0.1). Readiness is read from
// /proc (a probe connection would open a TLS session on the gateway). The destructor
// stops socat and its forked children (one process group). Blocking; one owner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

class tls_unwrapper {
 public:
  tls_unwrapper(const temp_dir& dir, std::uint16_t gateway_port, const std::filesystem::path& ca_file);
  ~tls_unwrapper();
  tls_unwrapper(const tls_unwrapper&) = delete;
  tls_unwrapper& operator=(const tls_unwrapper&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string log() const { return read_text(log_); }

 private:
  std::uint16_t port_ = 0;
  std::filesystem::path log_;
  std::unique_ptr<process> socat_;
};

}  // namespace vncgate::e2e
