// server.hpp — the listeners, the I/O threads, signals and live reload.
//
// One io_context per worker thread. Each listener address is bound once per worker with
// SO_REUSEPORT, so the kernel spreads new connections over the workers and a session
// lives its whole life on the thread that accepted it. Each worker keeps its own copy
// of the current runtime and its own session registry, touched only on its thread.
// Accept errors (EMFILE, ...) are logged and retried after 100 ms; they never stop a
// listener.
//
// SIGHUP (or POST /api/reload) reloads the configuration file: everything is validated
// and every new socket bound before anything changes; then each worker, on its own
// thread, switches to the new runtime, swaps its listening sockets, and ends the sessions
// the new rules refuse (unless policy.end_revoked_sessions is false). A failed reload
// changes nothing. SIGUSR1 reopens the audit files (logrotate).
//
// SIGTERM and SIGINT drain: /readyz turns unready at once, every listening socket closes
// (new connections are refused by the kernel), connections still in their handshake
// may finish it but start no session, and live sessions go on for shutdown_grace. Then
// the rest are ended with "the gateway is shutting down" (said where the client can hear
// it, see session_clock.cpp), and the process exits 0 once all are gone — 1 if some
// still were 10 s later. A second SIGTERM/SIGINT ends the grace period at once.
//
// Under systemd (Type=notify, sd_notify.hpp) it says READY=1 when serving, RELOADING=1
// and READY=1 around a reload, STOPPING=1 when the drain starts, and feeds the watchdog
// when WatchdogSec= asks for it.
//
// The admin listener (metrics.address; admin_server.hpp) starts in bind(), after every
// listener is bound; /readyz says ready from run() until the drain. Its API reaches the
// sessions through admin_control, implemented here by posting to each worker. A reload
// that changes metrics.address or metrics.enabled logs that the change needs a restart;
// a new admin token takes effect at once.
//
// Every accepted connection first passes admission (address rules, connection rates,
// handshake caps; see admission.hpp); a refused one is audited and closed (or greeted
// with the reason, see accept_refusal.hpp) before a session exists. On a listener with
// proxy_protocol: true, only the balancers of proxy_protocol_from may connect, and the
// client their PROXY header names is the one admission decides on (proxy_header.hpp).
#pragma once

#include <boost/asio/signal_set.hpp>
#include <atomic>
#include <filesystem>
#include <memory>
#include <vector>

#include "gateway/admin_server.hpp"
#include "gateway/asio.hpp"
#include "gateway/peer.hpp"
#include "gateway/runtime.hpp"
#include "gateway/session_record.hpp"

namespace vncgate::gateway {

class server final : private admin_control {
 public:
  server(std::filesystem::path config_path, std::shared_ptr<const runtime> rt, services svc, std::size_t workers);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Opens every listener on every worker. Error: which address and why.
  expected<bool, std::string> bind();
  // Serves until SIGTERM or SIGINT has drained the sessions; returns the process exit
  // code. Joins the auth pool (lets running authentications finish) before the workers
  // are destroyed.
  int run();

 private:
  struct worker;
  struct listening_socket;
  awaitable<void> accept_loop(worker& w, listening_socket& socket);
  void start_accepting(worker& w, listening_socket& socket);
  // Admission with the client's origin, then the session, or the refusal. `rt` is the
  // runtime the connection was accepted under; `li` indexes its listeners.
  void admit(worker& w, std::shared_ptr<const runtime> rt, std::size_t li, const std::string& key, tcp::socket socket,
             client_origin origin);
  // proxy_protocol listeners: the balancer's header first (proxy_header.hpp), then admit().
  awaitable<void> admit_proxied(worker& w, std::shared_ptr<const runtime> rt, std::size_t li, std::string key,
                                tcp::socket socket, client_origin balancer);
  awaitable<void> handle_signals();
  awaitable<void> prune_policy_state();
  awaitable<void> watchdog(std::chrono::microseconds timeout);  // WATCHDOG=1 every timeout / 2  // once a minute: idle rate buckets, expired lockout keys
  // Empty on success, else why the configuration stays as it was. On the first worker.
  std::string reload_config(std::string_view cause);
  void start_drain(std::string_view cause);
  awaitable<void> drain();
  void end_every_session(outcome o, const std::string& reason);
  // admin_control
  void list_sessions(std::function<void(boost::json::array)> done) override;
  void end_session(std::string id, std::function<void(bool)> done) override;
  void reload(std::function<void(std::string)> done) override;
  // On w's thread: switch to `rt`, adopt `fresh` sockets, close dropped ones, end
  // sessions the new rules refuse.
  void install(worker& w, std::shared_ptr<const runtime> rt, std::vector<listening_socket> fresh);
  std::vector<boost::asio::io_context*> io_contexts();
  void stop();

  std::filesystem::path config_path_;
  std::shared_ptr<const runtime> runtime_;  // the newest; touched by the signal coroutine only
  services svc_;
  std::vector<std::unique_ptr<worker>> workers_;
  // Created with the server, before any socket listens: a SIGHUP that arrives while
  // starting must not find the default action (terminate) in place.
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::unique_ptr<admin_server> admin_;  // absent when metrics.enabled is false
  std::atomic<std::size_t> live_sessions_{0};  // spawned session coroutines not yet ended
  bool draining_ = false;    // the signal coroutine's thread only
  bool hurry_ = false;       // a second SIGTERM: end the grace period now
  int exit_code_ = 0;
};

}  // namespace vncgate::gateway
