// totp_test.cpp — native TOTP through the real gateway: the person types the password
// followed by the code; codes are made independently by `oathtool --totp`. A fresh code
// gets a frame; the same code again (also after a reload), a wrong code, a code from
// three steps ago, a missing code and a user without a secret all get the one generic
// "authentication failed"; the audit names the factor that failed. A target can demand
// the code when the default does not, and an administrator enrols a person with
// `vncgate totp enroll` on a running gateway.
#include <catch2/catch.hpp>
#include <ctime>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

// RFC 6238's SHA-1 test key, in base32 as authenticator apps and oathtool take it.
const std::string alice_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

// `oathtool --totp` for the time `at` (unix seconds): an implementation other than ours.
std::string oathtool_code(const temp_dir& dir, const std::string& base32, std::int64_t at) {
  auto r = run({.argv = {"oathtool", "--totp", "-b", "-N", "@" + std::to_string(at), base32}}, dir.path(), 10s);
  REQUIRE(r.exit_code == 0);
  std::string code = r.out.substr(0, r.out.find('\n'));
  REQUIRE(code.size() == 6);
  return code;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::filesystem::path write_secrets(const temp_dir& dir) {
  return dir.write("gw-secrets/totp.yaml", "users:\n  alice: { secret: " + alice_secret + " }\n", 0600);
}

gateway_options totp_options(const small_desk_setup& s, const std::filesystem::path& secrets) {
  return {.users = {alice, bob},
          .targets = {target_for(s.desk, "desk", {"alice", "bob"})},
          .failure_delay = "100ms",
          .policy_lines = {"lockout: {failures: 100, source_failures: 100}"},  // many refusals on purpose
          .auth_lines = {"second_factor: totp", "totp_secrets_file: " + secrets.string()}};
}

// The auth line of the attempt from `source`.
audit_event auth_line_of(const gateway& gw, const std::string& source) {
  INFO("client source " << source);
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  REQUIRE(gw.audit().wait_session_end(*session));
  for (auto& e : gw.audit().events_of(*session))
    if (is_event(e, "auth")) return e;
  FAIL("no auth line");
  return {};
}

std::string factor_of(const audit_event& auth, std::string_view factor) {
  const auto* factors = auth.if_contains("factors");
  if (factors == nullptr || !factors->is_object()) return "";
  return text_of(factors->as_object(), factor);
}

// Refused like any wrong password; the audit says which factor failed.
void check_refused(const gateway& gw, const login_attempt& a, const std::string& password, const std::string& totp) {
  INFO("attempt from " << a.source << ": " << a.error);
  REQUIRE(a.answered);
  CHECK(a.refused());
  CHECK(a.reason == "authentication failed");
  auto auth = auth_line_of(gw, a.source);
  INFO(boost::json::serialize(auth));
  CHECK(text_of(auth, "result") == "failure");
  CHECK(text_of(auth, "second_factor") == "totp");
  CHECK(factor_of(auth, "password") == password);
  CHECK(factor_of(auth, "totp") == totp);
  check_session_outcome(gw, a.source, "auth_failed");
}

}  // namespace

TEST_CASE("TOTP: password + fresh code gets in - reused, wrong, old, missing codes do not", "[e2e][totp]") {
  small_desk_setup s;
  auto secrets = write_secrets(s.dir);
  auto options = totp_options(s, secrets);
  gateway gw(s.dir, s.tls, options);
  const int baseline = gw.fd_count();

  const std::string code = oathtool_code(s.dir, alice_secret, now());
  auto good = require_frame(gw.port(), {"alice", alice.password + code, s.tls.certificate}, 320, 240);
  auto auth = auth_line_of(gw, good.source());
  INFO(boost::json::serialize(auth));
  CHECK(text_of(auth, "result") == "success");
  CHECK(factor_of(auth, "password") == "ok");
  CHECK(factor_of(auth, "totp") == "ok");

  // The same code a second time, seconds later: still inside the window, spent.
  check_refused(gw, vencrypt_login(gw.port(), "alice", alice.password + code, s.tls.certificate), "ok", "replayed");
  // Spent stays spent across a reload.
  REQUIRE(gw.reload(options));
  check_refused(gw, vencrypt_login(gw.port(), "alice", alice.password + code, s.tls.certificate), "ok", "replayed");

  // A code from three steps ago: outside the window of one step each side.
  const std::string old = oathtool_code(s.dir, alice_secret, now() - 90);
  check_refused(gw, vencrypt_login(gw.port(), "alice", alice.password + old, s.tls.certificate), "ok", "wrong");

  // A wrong code: none of the codes of the steps around now.
  std::string wrong = "000000";
  for (int guess = 0;; ++guess) {
    wrong = std::to_string(100000 + guess * 7919 % 900000);
    bool near = false;
    for (int step = -2; step <= 2; ++step) near = near || oathtool_code(s.dir, alice_secret, now() + 30 * step) == wrong;
    if (!near) break;
  }
  check_refused(gw, vencrypt_login(gw.port(), "alice", alice.password + wrong, s.tls.certificate), "ok", "wrong");

  // No code at all, and a fresh code with a wrong password.
  check_refused(gw, vencrypt_login(gw.port(), "alice", alice.password, s.tls.certificate), "ok", "missing");
  const std::string fresh = oathtool_code(s.dir, alice_secret, now());
  check_refused(gw, vencrypt_login(gw.port(), "alice", "not-her-password" + fresh, s.tls.certificate), "rejected",
                "ok");
  // bob has a password but no secret: the same answer.
  check_refused(gw, vencrypt_login(gw.port(), "bob", bob.password + fresh, s.tls.certificate), "ok", "not_enrolled");

  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, bob.password, alice_secret});
}

TEST_CASE("TOTP: a target can demand the code when the default does not", "[e2e][totp]") {
  small_desk_setup s;
  auto secrets = write_secrets(s.dir);
  auto strict = target_for(s.desk, "secure", {"alice", "carol"});
  strict.extra_lines = {"second_factor: totp"};
  gateway gw(s.dir, s.tls,
             {.users = {alice, carol},
              .targets = {target_for(s.desk, "open", {"alice"}), strict},
              .failure_delay = "100ms",
              .auth_lines = {"totp_secrets_file: " + secrets.string()}});

  // The open desktop: the password alone.
  require_frame(gw.port(), login_as(alice, s.tls, "@open"), 320, 240);
  // The strict one: the password alone is refused, password + code gets in.
  auto plain = vencrypt_login(gw.port(), "alice@secure", alice.password, s.tls.certificate);
  check_refused(gw, plain, "ok", "missing");
  const std::string code = oathtool_code(s.dir, alice_secret, now());
  require_frame(gw.port(), {"alice@secure", alice.password + code, s.tls.certificate}, 320, 240);

  // carol may reach only `secure`, chosen after authentication: she is told how to log in.
  auto r = vnc_connect(gw.port(), login_as(carol, s.tls));
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() ==
        "desktop secure requires a one-time code: log in as carol@secure and type the code after the password");
  auto refused = check_session_outcome(gw, r.source(), "not_allowed");
  auto required = gw.audit().wait_for([](const audit_event& e) { return is_event(e, "second_factor_required"); });
  REQUIRE(required);
  CHECK(text_of(*required, "user") == "carol");
  check_clean_shutdown(gw, {alice.password, carol.password, alice_secret});
}

TEST_CASE("TOTP: an administrator enrols a person on a running gateway", "[e2e][totp][cli]") {
  small_desk_setup s;
  auto secrets = write_secrets(s.dir);
  auto options = totp_options(s, secrets);
  gateway gw(s.dir, s.tls, options);

  auto enroll = run({.argv = {vncgate_binary().string(), "totp", "enroll", "bob", "--config", gw.config_path().string()}},
                    s.dir.path(), 20s);
  INFO(enroll.out << enroll.err);
  REQUIRE(enroll.exit_code == 0);
  const std::string uri = enroll.out.substr(0, enroll.out.find('\n'));
  REQUIRE(uri.starts_with("otpauth://totp/vncgate:bob?secret="));
  const auto start = uri.find("secret=") + 7;
  const std::string bob_secret = uri.substr(start, uri.find('&', start) - start);
  CHECK(bob_secret.size() == 32);  // 160 bits
  CHECK(std::filesystem::status(secrets).permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  // Until the reload, the running gateway does not know bob's secret.
  auto before = vencrypt_login(gw.port(), "bob", bob.password + oathtool_code(s.dir, bob_secret, now()),
                               s.tls.certificate);
  CHECK(before.refused());
  REQUIRE(gw.reload(options));
  require_frame(gw.port(), {"bob", bob.password + oathtool_code(s.dir, bob_secret, now()), s.tls.certificate}, 320,
                240);
  // alice's secret survived the rewrite of the file.
  require_frame(gw.port(), {"alice", alice.password + oathtool_code(s.dir, alice_secret, now()), s.tls.certificate},
                320, 240);

  // Enrolling again needs --replace; a replaced secret stops the old one.
  auto again = run({.argv = {vncgate_binary().string(), "totp", "enroll", "bob", "--config", gw.config_path().string()}},
                   s.dir.path(), 20s);
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already enrolled") != std::string::npos);
  check_clean_shutdown(gw, {alice.password, bob.password, alice_secret, bob_secret});
}

TEST_CASE("TOTP: the enrolment QR code scans to the URI and verify checks a code", "[e2e][totp][cli]") {
  temp_dir dir;
  auto config = dir.write("vncgate.yaml", "auth:\n  backend: pam\n  totp_secrets_file: totp.yaml\n  totp_issuer: ACME VNC\n");
  auto enroll = run({.argv = {vncgate_binary().string(), "totp", "enroll", "dave@corp.example", "--config",
                              config.string(), "--digits", "8", "--algorithm", "sha256"}},
                    dir.path(), 20s);
  INFO(enroll.out << enroll.err);
  REQUIRE(enroll.exit_code == 0);
  const std::string uri = enroll.out.substr(0, enroll.out.find('\n'));
  CHECK(uri.starts_with("otpauth://totp/ACME%20VNC:dave%40corp.example?secret="));
  CHECK(uri.ends_with("&issuer=ACME%20VNC&algorithm=SHA256&digits=8&period=30"));

  // The block drawing back to pixels (a block is light), 4x scaled, as a PBM for zbarimg.
  std::vector<std::string> rows;
  std::string text = enroll.out.substr(enroll.out.find('\n') + 1);
  std::vector<std::vector<bool>> dark;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    std::string_view line(text.data() + at, end - at);
    std::vector<bool> top, bottom;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == ' ') {
        top.push_back(true), bottom.push_back(true), ++i;
        continue;
      }
      auto glyph = line.substr(i, 3);  // U+2580..U+2588 are three bytes in UTF-8
      top.push_back(glyph == "\u2584"), bottom.push_back(glyph == "\u2580");
      i += 3;
    }
    dark.push_back(top), dark.push_back(bottom);
  }
  REQUIRE(dark.size() > 40);
  constexpr int scale = 4;
  std::string pbm = "P1\n" + std::to_string(dark[0].size() * scale) + " " + std::to_string(dark.size() * scale) + "\n";
  for (const auto& row : dark)
    for (int r = 0; r < scale; ++r) {
      for (bool d : row)
        for (int c = 0; c < scale; ++c) pbm += d ? "1 " : "0 ";
      pbm += "\n";
    }
  auto image = dir.write("qr.pbm", pbm, 0644);
  auto scan = run({.argv = {"zbarimg", "--raw", "-q", image.string()}}, dir.path(), 20s);
  INFO(scan.err);
  CHECK(scan.out.substr(0, scan.out.find('\n')) == uri);

  // verify: with the secret from the URI, an independent 8-digit SHA-256 code.
  const auto start = uri.find("secret=") + 7;
  const std::string secret = uri.substr(start, uri.find('&', start) - start);
  auto code = run({.argv = {"oathtool", "--totp=sha256", "-d", "8", "-b", secret}}, dir.path(), 10s);
  REQUIRE(code.exit_code == 0);
  auto ok = run({.argv = {vncgate_binary().string(), "totp", "verify", "dave@corp.example", code.out.substr(0, 8),
                          "--config", config.string()}},
                dir.path(), 20s);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  auto no = run({.argv = {vncgate_binary().string(), "totp", "verify", "dave@corp.example", "12345678", "--config",
                          config.string()}},
                dir.path(), 20s);
  CHECK(no.exit_code == 1);
  auto stranger = run({.argv = {vncgate_binary().string(), "totp", "verify", "erin", "12345678", "--config",
                                config.string()}},
                      dir.path(), 20s);
  CHECK(stranger.exit_code == 1);
  CHECK(stranger.err.find("not enrolled") != std::string::npos);
}
