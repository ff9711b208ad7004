#include "gateway/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <thread>

#include "gateway/log.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {

struct server::worker {
  asio::io_context io{1};
  std::vector<tcp::acceptor> acceptors;
  std::vector<std::size_t> listener_of;  // acceptors[i] serves listeners[listener_of[i]]
  std::thread thread;
};

server::server(std::shared_ptr<const runtime> rt, services svc, std::size_t workers)
    : runtime_(std::move(rt)), svc_(svc) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<worker>());
}

server::~server() {
  stop();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

expected<bool, std::string> server::bind() {
  auto rt = runtime_.load();
  for (std::size_t li = 0; li < rt->cfg.listeners.size(); ++li) {
    const endpoint& ep = rt->cfg.listeners[li].address;
    error_code ec;
    auto address = asio::ip::make_address(ep.host, ec);
    if (ec) return unexpected("listener " + ep.to_string() + ": not an IP address");
    tcp::endpoint where(address, ep.port);
    for (auto& w : workers_) {
      tcp::acceptor acceptor(w->io);
      acceptor.open(where.protocol(), ec);
      if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) {
        int one = 1;
        if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
          ec = error_code(errno, boost::system::system_category());
      }
      if (!ec) acceptor.bind(where, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return unexpected("cannot listen on " + ep.to_string() + ": " + ec.message());
      // Port 0 (tests): the first worker's port is the one all workers share.
      where.port(acceptor.local_endpoint().port());
      w->acceptors.push_back(std::move(acceptor));
      w->listener_of.push_back(li);
    }
    log_info("listening on " + ep.host + ":" + std::to_string(where.port()) + " (" +
             (rt->cfg.listeners[li].security == listener_security::tls ? "tls" : "vencrypt") + ")");
  }
  return true;
}

awaitable<void> server::accept_loop(tcp::acceptor& acceptor, std::size_t listener) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      log_error("accept failed: " + ec.message() + "; retrying in 100 ms");
      co_await after(std::chrono::milliseconds(100));
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_session(std::move(socket), runtime_.load(), listener, svc_),
                   [](std::exception_ptr e) {
                     if (e) log_error("a session ended with an uncaught exception");
                   });
  }
}

awaitable<void> server::handle_signals() {
  asio::signal_set signals(co_await asio::this_coro::executor, SIGTERM, SIGINT, SIGHUP);
  for (;;) {
    auto [ec, signo] = co_await signals.async_wait(use_tuple);
    if (ec) co_return;
    if (signo == SIGHUP) {
      log_warning("SIGHUP: live reload is not supported yet; restart vncgate to apply a new configuration");
      continue;
    }
    log_info(std::string("received ") + (signo == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
    stop();
    co_return;
  }
}

void server::stop() {
  for (auto& w : workers_) w->io.stop();
}

int server::run() {
  for (auto& w : workers_)
    for (std::size_t i = 0; i < w->acceptors.size(); ++i)
      asio::co_spawn(w->io, accept_loop(w->acceptors[i], w->listener_of[i]), [](std::exception_ptr e) {
        if (e) log_error("a listener stopped with an exception");
      });
  asio::co_spawn(workers_.front()->io, handle_signals(), [](std::exception_ptr) {});
  for (auto& w : workers_) w->thread = std::thread([&io = w->io] { io.run(); });
  for (auto& w : workers_) w->thread.join();
  // Destroying the io_contexts ends the sessions still open: their records say shutdown.
  for (auto& w : workers_) {
    w->acceptors.clear();
  }
  workers_.clear();
  return 0;
}

}  // namespace vncgate::gateway
