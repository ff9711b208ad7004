// prometheus_server.hpp — a real Prometheus server (Debian's `prometheus`), started by
// a test on loopback to scrape the gateway's /metrics, and queried through its HTTP API.
//
// The constructor writes prometheus.yml (scrape_interval 1s, one static target),
// starts `prometheus` with its storage under dir/prometheus on a free port and returns
// once /-/ready answers 200; it throws std::runtime_error with the server's log when it
// does not. The destructor stops it. Blocking; one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

class prometheus_server {
 public:
  prometheus_server(const temp_dir& dir, std::uint16_t scrape_port);
  ~prometheus_server();
  prometheus_server(const prometheus_server&) = delete;
  prometheus_server& operator=(const prometheus_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // An instant query through /api/v1/query: the value of its only series; nullopt when
  // the result is empty, has several series, or the query failed.
  std::optional<double> query_value(const std::string& promql);
  // The last raw answer of query_value, for failure messages.
  const std::string& last_answer() const noexcept { return last_answer_; }
  std::string log_text() const { return server_->stdout_text(); }

 private:
  std::uint16_t port_ = 0;
  std::string last_answer_;
  std::unique_ptr<process> server_;
};

}  // namespace vncgate::e2e
