#include "harness/haproxy.hpp"

#include <stdexcept>

#include "harness/loopback.hpp"

namespace vncgate::e2e {

haproxy_server::haproxy_server(const temp_dir& dir, std::uint16_t backend_port, const std::string& send_proxy) {
  port_ = free_tcp_port();
  const std::string name = "haproxy-" + std::to_string(port_);
  const std::string config =
      "global\n"
      "  maxconn 64\n"
      "defaults\n"
      "  mode tcp\n"
      "  timeout connect 5s\n"
      "  timeout client 60s\n"
      "  timeout server 60s\n"
      "frontend vnc\n"
      "  bind 127.0.0.1:" + std::to_string(port_) + "\n"
      "  default_backend gateway\n"
      "backend gateway\n"
      "  server gw 127.0.0.1:" + std::to_string(backend_port) + " " + send_proxy + "\n";
  auto config_file = dir.write(name + ".cfg", config);
  server_ = std::make_unique<process>(process_options{
      .argv = {"haproxy", "-db", "-f", config_file.string()}, .stdout_file = dir / (name + ".log")});
  if (!wait_until([&] { return !server_->alive() || process_listens(server_->pid(), port_); }, 10s) ||
      !server_->alive())
    throw std::runtime_error("haproxy did not listen on port " + std::to_string(port_) + ":\n" + output());
}

haproxy_server::~haproxy_server() {
  if (server_) server_->terminate();
}

std::string haproxy_server::output() const { return server_ ? server_->stdout_text() : ""; }

}  // namespace vncgate::e2e
