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
                                     std::shared_ptr<wiped_string> password) {
  co_return rt->backend->authenticate(user, password->value);
}

}  // namespace

awaitable<bool> session::authenticate() {
  auto login = policy::split_login(credentials_.username, rt_->cfg.target_rules);
  record_.set_user(login.user);
  login_target_ = login.target;

  auto started = std::chrono::steady_clock::now();
  auto password = std::make_shared<wiped_string>(credentials_.password);
  credentials_ = rfb::plain_credentials{};  // wipes the session's copy
  auth::verdict verdict =
      co_await asio::co_spawn(svc_.auth_pool, run_backend(rt_, login.user, password), asio::use_awaitable);
  password.reset();

  std::string method(rt_->backend->name());
  if (verdict.result == auth::outcome::accepted) {
    record_.set_user(verdict.who.user);
    groups_ = std::move(verdict.who.groups);
    record_.audit({{"event", "auth"}, {"user", record_.user()}, {"method", method}, {"result", "success"}});
    log(log_level::info, record_.id(), "user " + record_.user() + " authenticated by " + method);
    co_return true;
  }

  // Same answer, same minimum time, whatever the reason: nothing tells an attacker
  // whether the user exists or the backend is struggling.
  asio::steady_timer delay(co_await asio::this_coro::executor, started + rt_->cfg.auth.failure_delay);
  co_await delay.async_wait(use_tuple);
  bool backend_error = verdict.result == auth::outcome::error;
  record_.audit({{"event", "auth"},
                 {"user", record_.user()},
                 {"method", method},
                 {"result", "failure"},
                 {"reason", backend_error ? "backend_error" : "rejected"}});
  co_return co_await refuse(backend_error ? outcome::auth_error : outcome::auth_failed, "authentication failed",
                            "user " + record_.user() + ": " + verdict.detail);
}

}  // namespace vncgate::gateway
