#include "gateway/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <list>
#include <set>
#include <thread>

#include "gateway/accept_refusal.hpp"
#include "gateway/admin_server.hpp"
#include "gateway/log.hpp"
#include "gateway/peer.hpp"
#include "gateway/proxy_header.hpp"
#include "gateway/sd_notify.hpp"
#include "gateway/session.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/thread_name.hpp"

namespace vncgate::gateway {

struct server::listening_socket {
  std::string key;      // the configured address, "host:port"
  tcp::acceptor acceptor;
  std::size_t listener;  // index into the worker's runtime's listeners
};

// Member order is destruction order, reversed: the listening sockets go while their
// io_context still exists; the io_context goes (destroying the session coroutines
// still suspended in it, which unregister themselves) while the registry still exists.
struct server::worker {
  session_registry sessions;
  asio::io_context io{1};
  std::shared_ptr<const runtime> rt;      // what new sessions on this worker get
  std::list<listening_socket> sockets;     // a list: accept loops hold references
  std::thread thread;
};

namespace {

expected<tcp::acceptor, std::string> open_acceptor(asio::io_context& io, const endpoint& ep, std::uint16_t port) {
  error_code ec;
  auto address = asio::ip::make_address(ep.host, ec);
  if (ec) return unexpected("listener " + ep.to_string() + ": not an IP address");
  tcp::endpoint where(address, port);
  tcp::acceptor acceptor(io);
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
  return acceptor;
}

// One socket per worker for listener `li` of `cfg`, all on the same port (port 0: the
// first one's).
expected<std::vector<tcp::acceptor>, std::string> open_listener(const std::vector<asio::io_context*>& ios,
                                                               const config& cfg, std::size_t li) {
  const endpoint& ep = cfg.listeners[li].address;
  std::vector<tcp::acceptor> out;
  std::uint16_t port = ep.port;
  for (auto* io : ios) {
    auto a = open_acceptor(*io, ep, port);
    if (!a) return unexpected(a.error());
    port = a->local_endpoint().port();
    out.push_back(std::move(*a));
  }
  log_info("listening on " + ep.host + ":" + std::to_string(port) + " (" +
           std::string(to_string(cfg.listeners[li].security)) + ")");
  return out;
}

// A refused connection is told why (RFB failure) where the listener says so; a tls
// listener's clients expect TLS first, so it never is.
bool greets_refusals(const listener_config& l, const policy_config& p) {
  return l.greet_refused.value_or(p.greet_refused) && l.security != listener_security::tls;
}

void warn_about(const config& cfg) {
  for (const auto& l : cfg.listeners)
    if (l.allow_anonymous_tls)
      log_warning("listener " + l.address.to_string() +
                  " allows anonymous TLS (TLSPlain): a man in the middle can read passwords; "
                  "use it only for legacy clients on trusted networks");
}

}  // namespace

server::server(std::filesystem::path config_path, std::shared_ptr<const runtime> rt, services svc,
               std::size_t workers)
    : config_path_(std::move(config_path)), runtime_(std::move(rt)), svc_(svc) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<worker>());
    workers_.back()->rt = runtime_;
  }
  signals_ = std::make_unique<asio::signal_set>(workers_.front()->io, SIGTERM, SIGINT, SIGHUP);
  signals_->add(SIGUSR1);
  warn_about(runtime_->cfg);
}

server::~server() {
  stop();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  admin_.reset();
}

std::vector<asio::io_context*> server::io_contexts() {
  std::vector<asio::io_context*> ios;
  for (auto& w : workers_) ios.push_back(&w->io);
  return ios;
}

expected<bool, std::string> server::bind() {
  for (std::size_t li = 0; li < runtime_->cfg.listeners.size(); ++li) {
    auto acceptors = open_listener(io_contexts(), runtime_->cfg, li);
    if (!acceptors) return unexpected(acceptors.error());
    for (std::size_t i = 0; i < workers_.size(); ++i)
      workers_[i]->sockets.push_back({runtime_->cfg.listeners[li].address.to_string(), std::move((*acceptors)[i]), li});
  }
  if (const auto& m = runtime_->cfg.metrics; m.enabled) {
    admin_ = std::make_unique<admin_server>(svc_.stats, svc_.audit, static_cast<admin_control&>(*this));
    admin_->set_token(m.admin_token);
    if (auto started = admin_->start(m.address, m.max_connections); !started) return unexpected(started.error());
  }
  return true;
}

awaitable<void> server::accept_loop(worker& w, listening_socket& s) {
  for (;;) {
    auto [ec, socket] = co_await s.acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !s.acceptor.is_open()) break;
    if (ec) {
      svc_.stats.accept_error(s.key);
      log_error("accept failed on " + s.key + ": " + ec.message() + "; retrying in 100 ms");
      co_await after(std::chrono::milliseconds(100));
      continue;
    }
    auto peer = origin_of(socket);
    if (!peer) continue;  // already gone
    const listener_config& l = w.rt->cfg.listeners[s.listener];
    if (!l.proxy_protocol) {
      admit(w, w.rt, s.listener, s.key, std::move(socket), std::move(*peer));
      continue;
    }
    const bool trusted = std::any_of(l.proxy_protocol_from.begin(), l.proxy_protocol_from.end(),
                                     [&](const policy::cidr& c) { return c.contains(peer->address); });
    if (!trusted) {
      connection_refusal why{"proxy_untrusted", "not in proxy_protocol_from: only the listed load balancers may connect"};
      svc_.stats.connection_refused(s.key, why.reason);
      refuse_connection(std::move(socket), *peer, why, s.key, greets_refusals(l, w.rt->cfg.policy), svc_.audit);
      continue;
    }
    auto executor = socket.get_executor();
    live_sessions_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(executor, admit_proxied(w, w.rt, s.listener, s.key, std::move(socket), std::move(*peer)),
                   [this](std::exception_ptr e) {
                     live_sessions_.fetch_sub(1, std::memory_order_relaxed);
                     if (e) log_error("reading a PROXY protocol header ended with an uncaught exception");
                   });
  }
  // Closed by a reload that dropped this address: the socket's entry goes with the loop.
  w.sockets.remove_if([&s](const listening_socket& x) { return &x == &s; });
}

awaitable<void> server::admit_proxied(worker& w, std::shared_ptr<const runtime> rt, std::size_t li, std::string key,
                                      tcp::socket socket, client_origin balancer) {
  auto origin = co_await read_proxy_header(socket, balancer, rt->cfg.policy.handshake_timeout);
  if (!origin) {
    svc_.stats.connection_refused(key, origin.error().reason);
    refuse_connection(std::move(socket), balancer, origin.error(), key, false, svc_.audit);
    co_return;
  }
  admit(w, std::move(rt), li, key, std::move(socket), std::move(*origin));
}

void server::admit(worker& w, std::shared_ptr<const runtime> rt, std::size_t li, const std::string& key,
                   tcp::socket socket, client_origin origin) {
  const listener_config& l = rt->cfg.listeners[li];
  auto ticket = svc_.gate.admit(origin.address, l, rt->cfg.policy, std::chrono::steady_clock::now());
  if (!ticket) {
    svc_.stats.connection_refused(key, ticket.error().reason);
    refuse_connection(std::move(socket), origin, ticket.error(), key, greets_refusals(l, rt->cfg.policy), svc_.audit);
    return;
  }
  svc_.stats.connection_accepted(key);
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto executor = socket.get_executor();
  live_sessions_.fetch_add(1, std::memory_order_relaxed);
  asio::co_spawn(executor,
                 run_session(std::move(socket), std::move(origin), std::move(rt), li, svc_, w.sessions,
                             std::move(*ticket)),
                 [this](std::exception_ptr e) {
                   live_sessions_.fetch_sub(1, std::memory_order_relaxed);
                   if (e) log_error("a session ended with an uncaught exception");
                 });
}

void server::start_accepting(worker& w, listening_socket& s) {
  asio::co_spawn(w.io, accept_loop(w, s), [](std::exception_ptr e) {
    if (e) log_error("a listener stopped with an exception");
  });
}

std::string server::reload_config(std::string_view cause) {
  log_info(std::string(cause) + ": reloading " + config_path_.string());
  if (draining_) {
    log_error("reload refused: the gateway is draining");
    return "the gateway is draining";
  }
  notify_systemd_reloading();
  struct ready_again {
    ~ready_again() { notify_systemd("READY=1"); }
  } after_reload;
  auto reload_failed = [&](const std::string& why) {
    log_error("reload failed: " + why + "; keeping the current configuration");
    svc_.stats.config_reload_failed();
    svc_.audit.write({{"event", "config_reload"},
                      {"result", "failure"},
                      {"cause", cause},
                      {"file", config_path_.string()},
                      {"reason", why}});
    return why;
  };
  auto loaded = load_config(config_path_);
  if (!loaded) {
    for (const auto& e : loaded.error()) log_error(e.to_string());
    return reload_failed(std::to_string(loaded.error().size()) + " error(s) in " + config_path_.string());
  }
  config& cfg = *loaded;
  if (cfg.auth.threads != runtime_->cfg.auth.threads || cfg.workers != runtime_->cfg.workers)
    log_warning("reload: workers and auth.threads keep their values until a restart");
  const auto& was = runtime_->cfg.metrics;
  if (cfg.metrics.enabled != was.enabled || cfg.metrics.address.to_string() != was.address.to_string())
    log_warning("reload: metrics.enabled and metrics.address keep their values until a restart");

  // Open everything new before changing anything, so that a failure changes nothing.
  auto sinks = audit_log::open(cfg.audit);
  if (!sinks) return reload_failed(sinks.error());
  std::set<std::string> listening;
  for (const auto& s : workers_.front()->sockets)
    if (s.acceptor.is_open()) listening.insert(s.key);
  std::vector<std::vector<listening_socket>> added(workers_.size());
  for (std::size_t li = 0; li < cfg.listeners.size(); ++li) {
    std::string key = cfg.listeners[li].address.to_string();
    if (listening.contains(key)) continue;
    auto acceptors = open_listener(io_contexts(), cfg, li);
    if (!acceptors) return reload_failed(acceptors.error());
    for (std::size_t i = 0; i < workers_.size(); ++i) added[i].push_back({key, std::move((*acceptors)[i]), li});
  }
  warn_about(cfg);
  auto rt = make_runtime(std::move(cfg));
  if (!rt) return reload_failed(rt.error());

  // Commit: the audit sinks here, the rest on each worker's own thread.
  svc_.audit.adopt(**sinks);
  runtime_ = *rt;
  svc_.gate.reconfigure(runtime_->cfg.policy);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    worker& w = *workers_[i];
    asio::post(w.io, [this, &w, rt = runtime_, fresh = std::move(added[i])]() mutable {
      install(w, std::move(rt), std::move(fresh));
    });
  }
  if (admin_) admin_->set_token(runtime_->cfg.metrics.admin_token);
  svc_.stats.config_loaded(runtime_->cfg.source_sha256, true);
  svc_.audit.write(
      {{"event", "config_reload"}, {"result", "success"}, {"cause", cause}, {"file", config_path_.string()}});
  log_info("configuration reloaded from " + config_path_.string());
  return {};
}

void server::install(worker& w, std::shared_ptr<const runtime> rt, std::vector<listening_socket> fresh) {
  w.rt = rt;
  const auto& listeners = rt->cfg.listeners;
  for (auto& s : w.sockets) {
    auto it = std::find_if(listeners.begin(), listeners.end(),
                           [&](const listener_config& l) { return l.address.to_string() == s.key; });
    if (it == listeners.end()) {
      error_code ignored;
      s.acceptor.close(ignored);  // its accept loop removes it
    } else {
      s.listener = static_cast<std::size_t>(it - listeners.begin());
    }
  }
  for (auto& s : fresh) {
    w.sockets.push_back(std::move(s));
    start_accepting(w, w.sockets.back());
  }
  if (!rt->cfg.policy.end_revoked_sessions) return;
  w.sessions.for_each([&](session& s) {
    if (!s.admitted_by(*rt)) s.end(outcome::access_revoked, "access revoked by a configuration reload");
  });
}

awaitable<void> server::handle_signals() {
  for (;;) {
    auto [ec, signo] = co_await signals_->async_wait(use_tuple);
    if (ec) co_return;
    if (signo == SIGHUP) {
      try {
        reload_config("SIGHUP");
      } catch (const std::exception& e) {
        log_error(std::string("reload failed: ") + e.what() + "; keeping the current configuration");
      }
      continue;
    }
    if (signo == SIGUSR1) {
      log_info("SIGUSR1: reopening the audit files");
      svc_.audit.reopen();
      continue;
    }
    const char* name = signo == SIGTERM ? "SIGTERM" : "SIGINT";
    if (draining_) {
      log_info(std::string(name) + " while draining: ending every session now");
      hurry_ = true;
      continue;
    }
    start_drain(name);
  }
}

void server::start_drain(std::string_view cause) {
  draining_ = true;
  if (admin_) admin_->set_ready(false);
  svc_.gate.start_draining();
  const auto grace = runtime_->cfg.shutdown_grace;
  const auto live = live_sessions_.load(std::memory_order_relaxed);
  log_info(std::string(cause) + ": draining; new connections are refused, " + std::to_string(live) +
           " session(s) may go on for up to " + std::to_string(grace.count()) + " ms");
  notify_systemd("STOPPING=1\nSTATUS=draining " + std::to_string(live) + " session(s)");
  svc_.audit.write({{"event", "gateway_stopping"}, {"cause", cause}, {"sessions", live}, {"grace_ms", grace.count()}});
  for (auto& w : workers_) {
    asio::post(w->io, [&w = *w] {
      for (auto& s : w.sockets) {
        error_code ignored;
        s.acceptor.close(ignored);  // its accept loop removes it
      }
    });
  }
  asio::co_spawn(workers_.front()->io, drain(), [](std::exception_ptr e) {
    if (e) log_error("the drain stopped with an exception");
  });
}

awaitable<void> server::drain() {
  constexpr auto poll = std::chrono::milliseconds(50);
  // Time to say goodbye after the grace period (session_clock: ≤ 2 s of pending updates,
  // 3 s for the client to show the reason) and to close.
  constexpr auto farewell_time = std::chrono::seconds(10);
  auto live = [this] { return live_sessions_.load(std::memory_order_relaxed); };
  const auto grace_end = std::chrono::steady_clock::now() + runtime_->cfg.shutdown_grace;
  while (live() > 0 && !hurry_ && std::chrono::steady_clock::now() < grace_end) co_await after(poll);
  if (live() > 0) {
    log_info("drain: ending " + std::to_string(live()) + " session(s)");
    end_every_session(outcome::shutdown, "the gateway is shutting down");
    const auto end = std::chrono::steady_clock::now() + farewell_time;
    while (live() > 0 && std::chrono::steady_clock::now() < end) co_await after(poll);
  }
  const bool clean = live() == 0;
  exit_code_ = clean ? 0 : 1;
  if (clean) log_info("drained: every session has ended; stopping");
  else log_error("drain: " + std::to_string(live()) + " session(s) did not end; stopping anyway");
  svc_.audit.write({{"event", "gateway_stopped"}, {"clean", clean}});
  stop();
}

void server::end_every_session(outcome o, const std::string& reason) {
  for (auto& w : workers_)
    asio::post(w->io, [&w = *w, o, reason] { w.sessions.for_each([&](session& s) { s.end(o, reason); }); });
}

void server::list_sessions(std::function<void(boost::json::array)> done) {
  struct gather {
    std::mutex mutex;
    boost::json::array sessions;
    std::size_t waiting;
    std::function<void(boost::json::array)> done;
  };
  auto g = std::make_shared<gather>();
  g->waiting = workers_.size();
  g->done = std::move(done);
  for (auto& w : workers_) {
    asio::post(w->io, [&w = *w, g] {
      boost::json::array mine;
      w.sessions.for_each([&](const session& s) { mine.push_back(s.describe()); });
      std::unique_lock lock(g->mutex);
      for (auto& s : mine) g->sessions.push_back(std::move(s));
      if (--g->waiting > 0) return;
      lock.unlock();
      g->done(std::move(g->sessions));
    });
  }
}

void server::end_session(std::string id, std::function<void(bool)> done) {
  struct gather {
    std::atomic<std::size_t> waiting;
    std::atomic<bool> found{false};
    std::function<void(bool)> done;
  };
  auto g = std::make_shared<gather>();
  g->waiting = workers_.size();
  g->done = std::move(done);
  for (auto& w : workers_) {
    asio::post(w->io, [&w = *w, g, id] {
      w.sessions.for_each([&](session& s) {
        if (s.record().id() != id) return;
        g->found = true;
        s.end(outcome::ended_by_admin, "session ended by administrator");
      });
      if (g->waiting.fetch_sub(1) == 1) g->done(g->found.load());
    });
  }
}

void server::reload(std::function<void(std::string)> done) {
  asio::post(workers_.front()->io, [this, done = std::move(done)] {
    std::string why;
    try {
      why = reload_config("admin API");
    } catch (const std::exception& e) {
      why = e.what();
      log_error("reload failed: " + why + "; keeping the current configuration");
    }
    done(std::move(why));
  });
}

awaitable<void> server::watchdog(std::chrono::microseconds timeout) {
  for (;;) {
    notify_systemd("WATCHDOG=1");
    co_await after(timeout / 2);
  }
}

awaitable<void> server::prune_policy_state() {
  for (;;) {
    co_await after(std::chrono::minutes(1));
    svc_.gate.prune(std::chrono::steady_clock::now());
  }
}

void server::stop() {
  if (admin_) admin_->set_ready(false);
  for (auto& w : workers_) w->io.stop();
}

int server::run() {
  for (auto& w : workers_)
    for (auto& s : w->sockets) start_accepting(*w, s);
  asio::co_spawn(workers_.front()->io, handle_signals(), [](std::exception_ptr) {});
  asio::co_spawn(workers_.front()->io, prune_policy_state(), [](std::exception_ptr) {});
  // systemd's watchdog (WatchdogSec=) is fed by the first worker: a worker stuck for
  // half the timeout gets the service restarted.
  if (auto timeout = watchdog_interval())
    asio::co_spawn(workers_.front()->io, watchdog(*timeout), [](std::exception_ptr) {});
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto& w = *workers_[i];
    w.thread = std::thread([&io = w.io] { io.run(); });
    // Named for top -H and for the benchmark, which counts the I/O threads' CPU apart
    // from the authentication pool's.
    name_thread(w.thread, "vncgate-io-" + std::to_string(i));
  }
  if (admin_) admin_->set_ready(true);
  std::size_t listeners = runtime_->cfg.listeners.size();
  notify_systemd("READY=1\nSTATUS=serving " + std::to_string(listeners) + " listener(s)");
  for (auto& w : workers_) w->thread.join();
  // The admin API's requests wait on the workers: it stops before they go.
  if (admin_) admin_->stop();
  // Authentications still running on the pool hold work on the workers' io_contexts
  // (to resume their sessions); let them finish before those io_contexts go.
  svc_.auth_pool.join();
  // Destroying the io_contexts ends the sessions still open: their records say shutdown.
  signals_.reset();
  workers_.clear();
  return exit_code_;
}

}  // namespace vncgate::gateway
