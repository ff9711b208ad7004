#include "harness/http_get.hpp"

#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

#include "harness/loopback.hpp"

namespace vncgate::e2e {

std::string http_reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        std::chrono::milliseconds timeout, const std::vector<std::string>& headers) {
  std::uint16_t local_port = 0;
  std::string error;
  int fd = connect_loopback(port, "127.0.0.1", local_port, error);
  if (fd < 0) throw std::runtime_error("http: cannot connect to port " + std::to_string(port) + ": " + error);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_fd{fd};
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  request += "\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) throw std::runtime_error("http: write failed");
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("http: no complete answer in time; got: " + raw);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[16384];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;  // Connection: close — the answer ends with the connection
    raw.append(buf, static_cast<std::size_t>(n));
  }
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || !raw.starts_with("HTTP/1.")) throw std::runtime_error("http: bad answer: " + raw);
  http_reply reply;
  reply.status = std::stoi(raw.substr(9, 3));
  std::size_t at = raw.find("\r\n") + 2;
  while (at < head_end) {
    auto eol = raw.find("\r\n", at);
    std::string line = raw.substr(at, eol - at);
    at = eol + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    reply.headers[name] = line.substr(v);
  }
  reply.body = raw.substr(head_end + 4);
  if (auto length = reply.header("content-length"); !length.empty()) {
    auto n = std::stoul(length);
    if (reply.body.size() != n)
      throw std::runtime_error("http: body of " + std::to_string(reply.body.size()) + " bytes, announced " + length);
  }
  return reply;
}

std::string url_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<double> metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

}  // namespace vncgate::e2e
