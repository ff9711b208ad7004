// http_get.hpp — a tiny HTTP/1.1 client for the gateway's admin listener and for the
// Prometheus server's API: one request, `Connection: close`, the whole answer read.
//
// Blocking, with a deadline; any thread. Throws std::runtime_error when it cannot
// connect or no complete status line arrives in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vncgate::e2e {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers{};  // names in lower case
  std::string body{};
  std::string header(const std::string& lower_name) const;
};

// `headers`: extra "Name: value" lines, e.g. "Authorization: Bearer ...".
http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10),
                        const std::vector<std::string>& headers = {});
inline http_reply http_get(std::uint16_t port, const std::string& target,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return http_request(port, "GET", target, timeout);
}

// In a Prometheus text exposition (/metrics): the value of the series written exactly as
// `series` (name and labels, e.g. `vncgate_sessions_total{outcome="ok"}`), if present.
std::optional<double> metric_value(const std::string& text, const std::string& series);

// Percent-encodes everything but unreserved characters (for a query string value).
std::string url_encode(const std::string& s);

}  // namespace vncgate::e2e
