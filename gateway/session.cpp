#include "gateway/session.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cstdio>
#include <random>

#include "gateway/log.hpp"
#include "rfb/security.hpp"

namespace vncgate::gateway {
namespace {

// Handshake messages are small; the largest is ServerInit with its desktop name.
constexpr std::size_t handshake_limit = 16 + 24 + 64 * 1024;

}  // namespace

std::string make_session_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

awaitable<void> run_session(tcp::socket socket, client_origin origin, std::shared_ptr<const runtime> rt,
                            std::size_t listener, services& svc, session_registry& registry,
                            handshake_ticket ticket) {
  session s(std::move(socket), origin, std::move(rt), listener, svc, std::move(ticket));
  registry.add(&s);
  struct unregister {
    session_registry& r;
    session* s;
    ~unregister() { r.remove(s); }
  } guard{registry, &s};
  try {
    co_await s.run();
  } catch (const std::exception& e) {
    log(log_level::error, s.record().id(), std::string("internal error: ") + e.what());
    s.record().set_outcome(outcome::internal_error, e.what());
  } catch (...) {
    s.record().set_outcome(outcome::internal_error, "unknown exception");
  }
  s.record().finish();
}

session::session(tcp::socket socket, const client_origin& origin, std::shared_ptr<const runtime> rt,
                 std::size_t listener, services& svc, handshake_ticket ticket)
    : rt_(std::move(rt)),
      listener_(listener),
      svc_(svc),
      record_(svc.audit, svc.stats, make_session_id(), origin.text(), origin.proxy,
              rt_->cfg.listeners[listener].address.to_string()),
      client_(std::move(socket)),
      client_in_(handshake_limit),
      upstream_(client_.socket().get_executor()),
      upstream_in_(handshake_limit),
      handshake_ticket_(std::move(ticket)),
      peer_host_(origin.address.to_string()),
      lockout_source_(admission::source_key(origin.address)),
      clock_(client_.socket().get_executor()) {}

awaitable<void> session::run() {
  auto timeout = rt_->cfg.policy.handshake_timeout;
  auto first = co_await (handshake() || after(timeout));
  if (first.index() == 1) {
    if (!greeted_) svc_.stats.handshake(listener().security, false);
    record_.set_outcome(outcome::handshake_timeout,
                        "not through the handshake within " + std::to_string(timeout.count()) + " ms");
  }
  if (record_.has_outcome()) {
    client_.close();
    co_return;
  }
  co_await relay();
}

awaitable<void> session::handshake() {
  // Each stage runs only if the one before it succeeded.
  bool ok = co_await greet();
  greeted_ = true;
  svc_.stats.handshake(listener().security, ok);
  ok = ok && co_await authenticate();
  ok = ok && co_await authorize();
  ok = ok && co_await login_upstream();
  ok = ok && co_await exchange_init();
}

awaitable<bool> session::send_to_client(const rfb::bytes& b) {
  auto [ec, n] = co_await client_.write(asio::buffer(b));
  if (ec) {
    record_.set_outcome(outcome::client_closed, "write to client failed: " + ec.message());
    co_return false;
  }
  co_return true;
}

awaitable<bool> session::refuse(outcome o, std::string_view client_reason, std::string detail) {
  log(log_level::warning, record_.id(), std::string(to_string(o)) + ": " + detail);
  record_.set_outcome(o, std::move(detail));
  rfb::bytes reply;
  switch (phase_) {
    case phase::before_version: break;  // the client cannot parse a reason yet
    case phase::choosing_type: reply = rfb::encode_handshake_failure(client_version_, client_reason); break;
    case phase::in_security: reply = rfb::encode_security_result_failed(client_version_, client_reason); break;
    case phase::done: break;  // past the handshake, RFB has no way to say why
  }
  if (!reply.empty()) {
    auto [ec, n] = co_await client_.write(asio::buffer(reply));
    (void)ec;
    (void)n;
  }
  co_return false;
}

awaitable<bool> session::client_read_failed(const read_failure& f, std::string_view during) {
  std::string detail = f.describe() + " during " + std::string(during);
  if (f.io == asio::error::operation_aborted) co_return false;  // the handshake timer fired
  if (f.io) {
    record_.set_outcome(outcome::client_closed, detail);
    co_return false;
  }
  co_return co_await refuse(outcome::protocol_error, "protocol error", detail);
}

awaitable<bool> session::authorize() {
  if (svc_.gate.draining())
    co_return co_await refuse(outcome::shutdown, "the gateway is shutting down; try again in a moment",
                              "refused after authentication: the gateway is draining");
  const auto& rules = rt_->cfg.target_rules;
  auto choice = policy::choose_target(rules, listener().target, login_target_, record_.user(), groups_);
  if (choice.why != policy::refusal::none) {
    std::string detail = "user " + record_.user() + " refused: " + std::string(policy::to_string(choice.why)) +
                         (login_target_.empty() ? "" : " (asked for " + login_target_ + ")");
    co_return co_await refuse(outcome::not_allowed, policy::client_message(choice.why), std::move(detail));
  }
  target_ = choice.index;
  const target_config& t = target();
  record_.set_target(t.name);

  // A target chosen after authentication (the user's only one) may want a factor the
  // login did not need: say how to log in to it.
  const second_factor needed = factor_for(target_);
  const bool shown = needed == second_factor::none || (needed == second_factor::totp && totp_verified_) ||
                     (needed == second_factor::client_certificate && certificate_verified_);
  if (!shown) {
    record_.audit({{"event", "second_factor_required"}, {"user", record_.user()}, {"second_factor", to_string(needed)}});
    std::string client_reason = needed == second_factor::totp
                                    ? "desktop " + t.name + " requires a one-time code: log in as " + record_.user() +
                                          "@" + t.name + " and type the code after the password"
                                    : "desktop " + t.name + " requires a client certificate";
    co_return co_await refuse(outcome::not_allowed, client_reason,
                              "user " + record_.user() + " has not shown " + std::string(to_string(needed)) +
                                  " required by target " + t.name);
  }

  auto place = svc_.gate.sessions().try_acquire(record_.user(), t.name);
  if (!place.slot) {
    std::string detail = "the " + std::string(policy::to_string(place.refused)) + " session cap is reached";
    co_return co_await refuse(outcome::session_limit, "too many sessions", std::move(detail));
  }
  slot_ = std::move(place.slot);

  // Rights: view-only drops input and desktop control; block_paste drops paste-in.
  rights_.drop_input = t.view_only.admits(record_.user(), groups_);
  rights_.drop_desktop_control = rights_.drop_input;
  rights_.drop_clipboard = t.block_paste.admits(record_.user(), groups_);
  idle_timeout_ = t.idle_timeout.value_or(rt_->cfg.policy.idle_timeout);
  max_session_ = t.max_session.value_or(rt_->cfg.policy.max_session);
  co_return true;
}

boost::json::object session::describe() const {
  const session_record& r = record_;
  boost::json::object o{{"id", r.id()},
                        {"source", r.source()},
                        {"listener", r.listener()},
                        {"state", r.has_outcome() ? "ending" : relaying_ ? "relaying" : "handshake"},
                        {"started", rfc3339_utc(r.started_at())},
                        {"bytes_from_client", r.bytes_from_client},
                        {"bytes_to_client", r.bytes_to_client}};
  if (!r.proxy().empty()) o.emplace("proxy", r.proxy());
  if (!r.user().empty()) o.emplace("user", r.user());
  if (!r.target().empty()) o.emplace("target", r.target());
  if (relaying_) {
    o.emplace("relay_path", r.relay_path);
    o.emplace("to_target_path", r.to_target_path);
    o.emplace("view_only", rights_.drop_input);
    o.emplace("paste_blocked", rights_.drop_clipboard);
  }
  return o;
}

bool session::admitted_by(const runtime& rt) const {
  if (!target_) return true;
  const std::string& name = target().name;
  for (const auto& rule : rt.cfg.target_rules)
    if (rule.name == name) return rule.admits(record_.user(), groups_);
  return false;
}

}  // namespace vncgate::gateway
