// Stage `authenticate` of the session (see session.hpp): the person's password goes to
// the backend on the bounded auth pool, then the second factor the login needs is
// checked (a TOTP code typed after the password, or the client certificate's user);
// every refusal looks and lasts the same.
#include <openssl/crypto.h>

#include <ctime>

#include "auth/password_code.hpp"
#include "gateway/log.hpp"
#include "gateway/session.hpp"

namespace vncgate::gateway {
namespace {

// A secret copy that is wiped when the last holder is done with it.
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

// What each factor of one login came to, for the audit and the decision.
struct factor_report {
  std::string_view password;                // ok, rejected, error
  std::string_view totp;                    // ok, wrong, replayed, missing, not_enrolled (empty: not asked)
  std::string_view certificate;             // ok, missing, mismatch (empty: not asked, none shown)

  bool second_factor_failed(second_factor required) const {
    if (required == second_factor::totp) return totp != "ok";
    if (required == second_factor::client_certificate) return certificate != "ok";
    return false;
  }
  void count(metrics& stats, auth_backend_kind backend) const {
    stats.authentication(backend, factor_kind::password, password);
    if (!totp.empty()) stats.authentication(backend, factor_kind::totp, totp);
    if (!certificate.empty()) stats.authentication(backend, factor_kind::client_certificate, certificate);
  }
  boost::json::object to_json() const {
    boost::json::object o{{"password", password}};
    if (!totp.empty()) o["totp"] = totp;
    if (!certificate.empty()) o["client_certificate"] = certificate;
    return o;
  }
};

// The password field when a TOTP code is due: the password part and the code part.
struct typed_login {
  std::shared_ptr<wiped_string> password;
  std::optional<wiped_string> code;  // absent: no code at the end of the field
};

typed_login split_typed(std::string_view typed, bool with_code, unsigned digits) {
  if (with_code) {
    if (auto parts = auth::split_password_code(typed, digits))
      return {std::make_shared<wiped_string>(parts->password), wiped_string(parts->code)};
  }
  return {std::make_shared<wiped_string>(typed), std::nullopt};
}

}  // namespace

second_factor session::factor_for(std::optional<std::size_t> target_index) const {
  const auto& cfg = rt_->cfg;
  if (target_index && cfg.targets[*target_index].factor) return *cfg.targets[*target_index].factor;
  return cfg.auth.factor;
}

second_factor session::factor_at_login(std::string_view named_target) const {
  const auto& targets = rt_->cfg.targets;
  if (!named_target.empty()) {
    for (std::size_t i = 0; i < targets.size(); ++i)
      if (targets[i].name == named_target) return factor_for(i);
  }
  return factor_for(listener().target);
}

awaitable<bool> session::authenticate() {
  auto login = policy::split_login(credentials_.username, rt_->cfg.target_rules);
  record_.set_user(login.user);
  login_target_ = login.target;
  auto started = std::chrono::steady_clock::now();
  std::string method(rt_->backend->name());
  const auto& policy = rt_->cfg.policy;
  const auto& auth_cfg = rt_->cfg.auth;
  const second_factor required = factor_at_login(login.target);

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

  // The code is checked against the secret of the name typed (before any PAM mapping);
  // someone without a secret still has the field split, with the usual length.
  const auth::totp_secret* secret =
      required == second_factor::totp ? auth_cfg.totp_secret_of(login.user) : nullptr;
  typed_login typed = split_typed(credentials_.password, required == second_factor::totp,
                                  secret != nullptr ? secret->digits : 6);
  credentials_ = rfb::plain_credentials{};  // wipes the session's copy
  auth::verdict verdict = co_await asio::co_spawn(svc_.auth_pool,
                                                  run_backend(rt_, login.user, typed.password, peer_host_),
                                                  asio::use_awaitable);
  typed.password.reset();

  factor_report factors;
  factors.password = verdict.result == auth::outcome::accepted  ? "ok"
                     : verdict.result == auth::outcome::rejected ? "rejected"
                                                                 : "error";
  const bool password_ok = verdict.result == auth::outcome::accepted;

  std::optional<std::uint64_t> totp_step;
  if (required == second_factor::totp) {
    if (secret == nullptr) {
      factors.totp = "not_enrolled";
    } else if (!typed.code) {
      factors.totp = "missing";
    } else {
      totp_step = auth::match_totp(*secret, typed.code->value, std::time(nullptr), auth_cfg.totp_window);
      factors.totp = totp_step ? "ok" : "wrong";
    }
  }
  typed.code.reset();
  // A matching code is spent only by a login that passes every other check, so a
  // stranger typing someone's current code with a wrong password cannot burn it.
  if (totp_step && password_ok && !svc_.totp_guard.claim(login.user, *totp_step)) factors.totp = "replayed";
  totp_verified_ = factors.totp == "ok" && password_ok;

  if (certificate_user_ || required == second_factor::client_certificate) {
    if (!certificate_user_)
      factors.certificate = "missing";
    else if (password_ok)
      factors.certificate = *certificate_user_ == verdict.who.user ? "ok" : "mismatch";
  }
  certificate_verified_ = factors.certificate == "ok";

  const bool second_failed = password_ok && factors.second_factor_failed(required);
  factors.count(svc_.stats, auth_cfg.backend);
  if (password_ok && !second_failed) {
    lockout.record_success(login.user, lockout_source_, std::chrono::steady_clock::now());
    handshake_ticket_.release();
    record_.set_user(verdict.who.user);
    groups_ = std::move(verdict.who.groups);
    boost::json::object event{{"event", "auth"}, {"user", record_.user()}, {"method", method}, {"result", "success"}};
    if (required != second_factor::none) event["second_factor"] = to_string(required);
    event["factors"] = factors.to_json();
    record_.audit(std::move(event));
    log(log_level::info, record_.id(),
        "user " + record_.user() + " authenticated by " + method +
            (required != second_factor::none ? " and " + std::string(to_string(required)) : ""));
    co_return true;
  }

  bool backend_error = verdict.result == auth::outcome::error;
  std::string_view reason = backend_error ? "backend_error" : second_failed ? "second_factor" : "rejected";
  boost::json::object event{{"event", "auth"},      {"user", record_.user()}, {"method", method},
                            {"result", "failure"}, {"reason", reason}};
  if (required != second_factor::none) event["second_factor"] = to_string(required);
  event["factors"] = factors.to_json();
  record_.audit(std::move(event));
  // A backend that fails is not the person's fault: only rejections count.
  if (!backend_error) {
    auto failed_at = std::chrono::steady_clock::now();
    auto counted = lockout.record_failure(login.user, lockout_source_, failed_at);
    if (counted.triggered) {
      svc_.stats.lockout(policy::to_string(counted.key));
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
  std::string detail = "user " + record_.user() + ": ";
  if (second_failed)
    detail += std::string(to_string(required)) + " " +
              std::string(required == second_factor::totp ? factors.totp : factors.certificate);
  else
    detail += verdict.detail;
  co_return co_await refuse_login(started, backend_error ? outcome::auth_error : outcome::auth_failed,
                                  "authentication failed", std::move(detail));
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
