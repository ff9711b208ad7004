#include "harness/tls_unwrapper.hpp"

#include <stdexcept>

#include "harness/loopback.hpp"

namespace vncgate::e2e {

tls_unwrapper::tls_unwrapper(const temp_dir& dir, std::uint16_t gateway_port, const std::filesystem::path& ca_file) {
  port_ = free_tcp_port();
  log_ = dir.path() / ("socat-" + std::to_string(port_) + ".log");
  socat_ = std::make_unique<process>(process_options{
      .argv = {"socat", "-d", "TCP-LISTEN:" + std::to_string(port_) + ",bind=127.0.0.1,reuseaddr,fork",
               "OPENSSL:127.0.0.1:" + std::to_string(gateway_port) + ",cafile=" + ca_file.string()},
      .stdout_file = log_});
  if (!wait_until([&] { return !socat_->alive() || process_listens(socat_->pid(), port_); }, 10s) || !socat_->alive())
    throw std::runtime_error("socat did not start:\n" + log());
}

tls_unwrapper::~tls_unwrapper() { socat_->terminate(); }

}  // namespace vncgate::e2e
