#include "gateway/admin_server.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/log.hpp"

namespace vncgate::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t request_limit = 8 * 1024;  // a GET with ordinary headers fits many times over
constexpr auto read_timeout = std::chrono::seconds(10);
constexpr std::string_view metrics_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view plain_type = "text/plain; charset=utf-8";

using request = http::request<http::empty_body>;
using response = http::response<http::string_body>;

response answer(const request& req, const metrics& m, bool ready) {
  response res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "vncgate");
  res.set(http::field::content_type, plain_type);
  const auto path = req.target().substr(0, req.target().find('?'));
  if (req.method() != http::verb::get) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET");
    res.body() = "method not allowed\n";
  } else if (path == "/metrics") {
    res.result(http::status::ok);
    res.set(http::field::content_type, metrics_type);
    res.body() = m.text();
  } else if (path == "/healthz") {
    res.result(http::status::ok);
    res.body() = "ok\n";
  } else if (path == "/readyz") {
    res.result(ready ? http::status::ok : http::status::service_unavailable);
    res.body() = ready ? "ready\n" : "not ready\n";
  } else {
    res.result(http::status::not_found);
    res.body() = "not found\n";
  }
  res.prepare_payload();
  return res;
}

}  // namespace

admin_server::admin_server(const metrics& m) : metrics_(m) {}

admin_server::~admin_server() { stop(); }

expected<bool, std::string> admin_server::start(const endpoint& where) {
  error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) return unexpected("metrics.address " + where.to_string() + ": not an IP address");
  tcp::endpoint ep(address, where.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unexpected("cannot listen on metrics.address " + where.to_string() + ": " + ec.message());
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
    if (e) log_error("the admin listener stopped with an exception");
  });
  thread_ = std::thread([this] { io_.run(); });
  log_info("admin listener (/metrics, /healthz, /readyz) on " + where.host + ":" + std::to_string(port_));
  return true;
}

void admin_server::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

awaitable<void> admin_server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) {
      log_error("admin listener: accept failed: " + ec.message() + "; retrying in 100 ms");
      co_await after(std::chrono::milliseconds(100));
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), [](std::exception_ptr e) {
      if (e) log_error("an admin connection ended with an exception");
    });
  }
}

awaitable<void> admin_server::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(request_limit);
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(request_limit));
    stream.expires_after(read_timeout);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) break;  // closed, timed out, too large or not HTTP: nothing to answer
    response res = answer(parser.get(), metrics_, ready());
    stream.expires_after(read_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !res.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace vncgate::gateway
