// Stage `authenticate` of the session (see session.hpp): the person's password goes to
// the backend on the bounded auth pool; every refusal looks and lasts the same.
#include <openssl/crypto.h>

#include "gateway/log.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {
namespace {

// A password copy that is wiped when the pool job is done with it.
struct wiped_string {
  std::string value;
  explicit wiped_string(std::string_view v) : value(v) {}
  wiped_string(wiped_string&&) = default;
  ~wiped_string() { OPENSSL_cleanse(value.data(), value.size()); }
};

// Runs on the auth pool. Arguments by value: the session may be gone when it ends.
awaitable<auth::verdict> run_backend(std::shared_ptr<const runtime> rt, std::string user,
                                     std::shared_ptr<wiped_string> password, std::string remote_host) {
  co_return rt->backend->authenticate(user, password->value, remote_host);
}

}  // namespace

awaitable<bool> session::authenticate() {
  auto login = policy::split_login(credentials_.username, rt_->cfg.target_rules);
  record_.set_user(login.user);
  login_target_ = login.target;
  auto started = std::chrono::steady_clock::now();
  std::string method(rt_->backend->name());
  const auto& policy = rt_->cfg.policy;

  // A locked-out attempt never reaches the backend, and looks like any other failure.
  auto& lockout = svc_.gate.lockout();
  auto locked = lockout.check(login.user, lockout_source_, started);
  if (locked.locked) {
    credentials_ = rfb::plain_credentials{};
    std::string key(policy::to_string(locked.key));
    auto left = std::chrono::duration_cast<std::chrono::seconds>(locked.until - started);
    record_.audit({{"event", "auth"},
                   {"user", record_.user()},
                   {"method", method},
                   {"result", "failure"},
                   {"reason", "locked_out"},
                   {"lock", key}});
    co_return co_await refuse_login(
        started, outcome::locked_out,
        policy.reveal_lockout ? "too many failed attempts; try again later" : "authentication failed",
        "user " + record_.user() + " locked out (" + key + " key, " + std::to_string(left.count()) + " s left)");
  }

  auto password = std::make_shared<wiped_string>(credentials_.password);
  credentials_ = rfb::plain_credentials{};  // wipes the session's copy
  auth::verdict verdict =
      co_await asio::co_spawn(svc_.auth_pool, run_backend(rt_, login.user, password, peer_host_), asio::use_awaitable);
  password.reset();

  if (verdict.result == auth::outcome::accepted) {
    lockout.record_success(login.user, lockout_source_, std::chrono::steady_clock::now());
    handshake_ticket_.release();
    record_.set_user(verdict.who.user);
    groups_ = std::move(verdict.who.groups);
    record_.audit({{"event", "auth"}, {"user", record_.user()}, {"method", method}, {"result", "success"}});
    log(log_level::info, record_.id(), "user " + record_.user() + " authenticated by " + method);
    co_return true;
  }

  bool backend_error = verdict.result == auth::outcome::error;
  record_.audit({{"event", "auth"},
                 {"user", record_.user()},
                 {"method", method},
                 {"result", "failure"},
                 {"reason", backend_error ? "backend_error" : "rejected"}});
  // A backend that fails is not the person's fault: only rejections count.
  if (!backend_error) {
    auto failed_at = std::chrono::steady_clock::now();
    auto counted = lockout.record_failure(login.user, lockout_source_, failed_at);
    if (counted.triggered) {
      auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(counted.until - failed_at);
      record_.audit({{"event", "lockout"},
                     {"key", policy::to_string(counted.key)},
                     {"user", record_.user()},
                     {"source", lockout_source_},
                     {"failures", counted.failures},
                     {"duration_ms", duration.count()}});
      log(log_level::warning, record_.id(),
          "lockout of the " + std::string(policy::to_string(counted.key)) + " key for user " + record_.user() +
              " from " + lockout_source_ + " after " + std::to_string(counted.failures) + " failures");
    }
  }
  co_return co_await refuse_login(started, backend_error ? outcome::auth_error : outcome::auth_failed,
                                  "authentication failed", "user " + record_.user() + ": " + verdict.detail);
}

awaitable<bool> session::refuse_login(std::chrono::steady_clock::time_point started, outcome o,
                                      std::string_view client_reason, std::string detail) {
  // Same minimum time whatever the reason: nothing tells an attacker whether the user
  // exists, is locked out, or the backend is struggling. For a lockout it is the tarpit.
  asio::steady_timer delay(co_await asio::this_coro::executor, started + rt_->cfg.auth.failure_delay);
  co_await delay.async_wait(use_tuple);
  co_return co_await refuse(o, client_reason, std::move(detail));
}

}  // namespace vncgate::gateway
