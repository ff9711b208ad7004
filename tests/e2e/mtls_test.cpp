// mtls_test.cpp — client certificates (mTLS): a listener with client_certificate
// required/optional checks the client's certificate against tls.client_ca and the CRL,
// maps it to a user (CN) and refuses inside RFB with a reason the client can read:
// libvncclient over VeNCrypt X509Plain, a raw OpenSSL client on a `tls` listener.
// Each refusal is audited (client_certificate + session_end certificate_refused) and
// the gateway serves the next client.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

std::vector<std::string> trust_lines(const client_pki& pki) {
  return {"client_ca: \"" + pki.ca.string() + "\"", "client_crl: \"" + pki.crl.string() + "\""};
}

bool has_event(const gateway& gw, const std::string& source, std::string_view name) {
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  REQUIRE(gw.audit().wait_session_end(*session));
  for (const auto& e : gw.audit().events_of(*session))
    if (is_event(e, name)) return true;
  return false;
}

// A refused libvncclient: the reason it read, the audit record and the session outcome.
void check_refused(const gateway& gw, const vnc_session_result& r, const std::string& reason,
                   const std::string& audit_reason) {
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() == reason);
  auto record = certificate_record(gw, r.source());
  CHECK(text_of(record, "result") == "refused");
  CHECK(text_of(record, "reason") == audit_reason);
  auto end = check_session_outcome(gw, r.source(), "certificate_refused");
  CHECK_FALSE(text_of(end, "reason").empty());
  // Refused before authentication: the password never reached the backend.
  CHECK_FALSE(has_event(gw, r.source(), "auth"));
}

// The secrets that must not show up in the audit trail or the log: passwords and the
// base64 body of each client key.
std::vector<std::string> secrets_of(const client_pki& pki) {
  std::vector<std::string> out = {alice.password, bob.password, vnc_password};
  for (const auto* c : {&pki.alice, &pki.bob, &pki.revoked, &pki.stranger}) {
    auto key = read_text(c->private_key);
    auto begin = key.find('\n');
    out.push_back(key.substr(begin + 1, 40));
  }
  return out;
}

}  // namespace

TEST_CASE("mtls: a vencrypt listener that requires a client certificate", "[e2e][mtls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240, .root_colour = "#ff8000"});
  gateway gw(dir, tls, {.listeners = {listener_spec{.extra_lines = {"client_certificate: required"}}},
                        .users = {alice, bob},
                        .targets = {target_for(desk, "desk", {"alice", "bob"})},
                        .tls_lines = trust_lines(pki)});

  // Alice's certificate from the right CA with her password: in, full frame.
  auto in = require_frame(gw.port(), with_cert(alice, tls, pki.alice), 320, 240);
  CHECK(in.vencrypt_subtype == 262);
  CHECK(in.pixel(5, 5) == std::array<std::uint8_t, 3>{0xff, 0x80, 0x00});
  auto record = certificate_record(gw, in.source());
  CHECK(text_of(record, "result") == "verified");
  CHECK(text_of(record, "user") == "alice");
  CHECK(text_of(record, "subject") == "CN=alice");
  CHECK(text_of(record, "serial") == "1001");
  check_session_outcome(gw, in.source(), "ok");

  SECTION("a certificate from another CA") {
    auto r = vnc_connect(gw.port(), with_cert(alice, tls, pki.stranger));
    check_refused(gw, r, "client certificate not accepted: unable to get local issuer certificate",
                  "unable to get local issuer certificate");
    CHECK(text_of(certificate_record(gw, r.source()), "subject") == "CN=alice");
    CHECK(text_of(certificate_record(gw, r.source()), "serial") == "1004");
  }
  SECTION("a revoked certificate") {
    auto r = vnc_connect(gw.port(), with_cert(alice, tls, pki.revoked));
    check_refused(gw, r, "client certificate not accepted: certificate revoked", "certificate revoked");
  }
  SECTION("no certificate") {
    auto r = vnc_connect(gw.port(), login_as(alice, tls));
    check_refused(gw, r, "this gateway requires a client certificate", "no client certificate");
    CHECK(text_of(certificate_record(gw, r.source()), "subject").empty());
  }
  // Every refusal leaves the gateway serving.
  check_still_serves(gw, gw.port(), with_cert(alice, tls, pki.alice), 320, 240);
  check_clean_shutdown(gw, secrets_of(pki));
}

TEST_CASE("mtls: optional asks but lets a client without a certificate in, off does not ask", "[e2e][mtls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  // The first listener takes the default with client_ca set: optional.
  gateway gw(dir, tls, {.listeners = {listener_spec{}, listener_spec{.extra_lines = {"client_certificate: off"}}},
                        .users = {alice},
                        .targets = {target_for(desk, "desk", {"alice"})},
                        .tls_lines = trust_lines(pki)});

  auto without = require_frame(gw.port(0), login_as(alice, tls), 320, 240);
  auto absent = certificate_record(gw, without.source());
  CHECK(text_of(absent, "result") == "absent");
  check_session_outcome(gw, without.source(), "ok");

  auto with = require_frame(gw.port(0), with_cert(alice, tls, pki.alice), 320, 240);
  CHECK(text_of(certificate_record(gw, with.source()), "result") == "verified");
  CHECK(text_of(certificate_record(gw, with.source()), "user") == "alice");

  // Optional, but a certificate that does not verify is still refused.
  auto revoked = vnc_connect(gw.port(0), with_cert(alice, tls, pki.revoked));
  check_refused(gw, revoked, "client certificate not accepted: certificate revoked", "certificate revoked");

  // Off: no certificate is asked for (so none is checked), and none is audited.
  auto off = require_frame(gw.port(1), with_cert(alice, tls, pki.revoked), 320, 240);
  CHECK_FALSE(has_event(gw, off.source(), "client_certificate"));
  check_session_outcome(gw, off.source(), "ok");

  check_still_serves(gw, gw.port(0), login_as(alice, tls), 320, 240);
  check_clean_shutdown(gw, secrets_of(pki));
}

namespace {

// A raw client on a `tls` listener: TLS with `client` (if any), then the RFB version
// exchange; returns the refusal reason the gateway sent instead of security types.
std::optional<std::string> tls_listener_refusal(const gateway& gw, const certs& tls, const certs* client,
                                                std::string* source) {
  raw_client c(gw.port());
  *source = c.source();
  bool started = client ? c.start_tls(tls.certificate, "localhost", client->certificate, client->private_key)
                        : c.start_tls(tls.certificate);
  INFO(c.last_error());
  REQUIRE(started);
  REQUIRE(c.read_exact(12) == std::string("RFB 003.008\n"));
  REQUIRE(c.send("RFB 003.008\n"));
  auto count = c.read_u8();
  REQUIRE(count);
  if (*count != 0) return std::nullopt;
  auto reason = c.read_string32();
  CHECK(c.wait_closed(3s));
  return reason;
}

}  // namespace

TEST_CASE("mtls: a tls listener that requires a client certificate", "[e2e][mtls][tls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.listeners = {listener_spec{.security = "tls", .extra_lines = {"client_certificate: required"}}},
                        .users = {alice},
                        .targets = {target_for(desk, "desk", {"alice"})},
                        .tls_lines = trust_lines(pki)});

  auto log_in = [&](const certs& client) {
    raw_client c(gw.port());
    INFO(c.last_error());
    REQUIRE(c.start_tls(tls.certificate, "localhost", client.certificate, client.private_key));
    std::string why;
    auto subtypes = vencrypt_subtypes(c, &why);
    INFO(why);
    REQUIRE(subtypes);
    CHECK(*subtypes == std::vector<std::uint32_t>{256});
    REQUIRE(c.send_u32(256));
    REQUIRE(c.send_plain_credentials("alice", alice.password));
    CHECK(c.read_u32() == 0u);
    REQUIRE(c.send_u8(1));
    CHECK(c.read_exact(4) == std::string("\x01\x40\x00\xf0", 4));  // 320x240
    return c.source();
  };

  // The right certificate: through to ServerInit.
  auto good = log_in(pki.alice);
  auto record = certificate_record(gw, good);
  CHECK(text_of(record, "result") == "verified");
  CHECK(text_of(record, "user") == "alice");

  std::string source;
  auto stranger = tls_listener_refusal(gw, tls, &pki.stranger, &source);
  CHECK(stranger == "client certificate not accepted: unable to get local issuer certificate");
  CHECK(text_of(certificate_record(gw, source), "result") == "refused");
  check_session_outcome(gw, source, "certificate_refused");

  auto revoked = tls_listener_refusal(gw, tls, &pki.revoked, &source);
  CHECK(revoked == "client certificate not accepted: certificate revoked");
  check_session_outcome(gw, source, "certificate_refused");

  auto none = tls_listener_refusal(gw, tls, nullptr, &source);
  CHECK(none == "this gateway requires a client certificate");
  check_session_outcome(gw, source, "certificate_refused");

  // Still serving after the refusals.
  log_in(pki.alice);
  CHECK(gw.alive());
  check_clean_shutdown(gw, secrets_of(pki));
}

TEST_CASE("mtls: a verified certificate without the configured identity field names no user", "[e2e][mtls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  auto lines = trust_lines(pki);
  lines.push_back("client_identity: san_email");  // the test certificates carry only a CN
  gateway gw(dir, tls, {.listeners = {listener_spec{.extra_lines = {"client_certificate: required"}},
                                      listener_spec{.extra_lines = {"client_certificate: optional"}}},
                        .users = {alice},
                        .targets = {target_for(desk, "desk", {"alice"})},
                        .tls_lines = lines});
  auto r = vnc_connect(gw.port(0), with_cert(alice, tls, pki.alice));
  check_refused(gw, r, "client certificate names no user (SAN email)", "the certificate has no SAN email");
  CHECK(text_of(certificate_record(gw, r.source()), "subject") == "CN=alice");

  // Optional: verified but unmapped is let through (no certificate user), and audited so.
  auto optional = require_frame(gw.port(1), with_cert(alice, tls, pki.alice), 320, 240);
  auto record = certificate_record(gw, optional.source());
  CHECK(text_of(record, "result") == "verified");
  CHECK(text_of(record, "user").empty());
  CHECK(text_of(record, "reason") == "the certificate has no SAN email");
  check_clean_shutdown(gw, secrets_of(pki));
}

TEST_CASE("mtls: second_factor client_certificate wants the certificate of the password's user",
          "[e2e][mtls][second_factor]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls,
             {.users = {alice, bob},
              .targets = {target_for(desk, "desk", {"alice", "bob"})},
              .auth_lines = {"second_factor: client_certificate"},
              .tls_lines = trust_lines(pki)});  // listener: optional, the default with client_ca

  auto good = require_frame(gw.port(), with_cert(alice, tls, pki.alice), 320, 240);
  auto auth_of = [&](const std::string& source) {
    auto session = gw.audit().session_of(source);
    REQUIRE(session);
    REQUIRE(gw.audit().wait_session_end(*session));
    for (auto& e : gw.audit().events_of(*session))
      if (is_event(e, "auth")) return e;
    FAIL("no auth line for " << source);
    return audit_event{};
  };
  auto factor = [](const audit_event& auth, std::string_view name) {
    const auto* factors = auth.if_contains("factors");
    return factors != nullptr && factors->is_object() ? text_of(factors->as_object(), name) : std::string();
  };
  auto ok = auth_of(good.source());
  CHECK(text_of(ok, "second_factor") == "client_certificate");
  CHECK(factor(ok, "client_certificate") == "ok");

  // alice's password with bob's certificate, and with none: the generic failure.
  for (const auto& [login, expected] : {std::pair{with_cert(alice, tls, pki.bob), "mismatch"},
                                        std::pair{login_as(alice, tls), "missing"}}) {
    auto r = vnc_connect(gw.port(), login);
    INFO(r.log_text());
    CHECK_FALSE(r.connected);
    CHECK(r.failure_reason() == "authentication failed");
    auto auth = auth_of(r.source());
    INFO(boost::json::serialize(auth));
    CHECK(text_of(auth, "reason") == "second_factor");
    CHECK(factor(auth, "password") == "ok");
    CHECK(factor(auth, "client_certificate") == expected);
    check_session_outcome(gw, r.source(), "auth_failed");
  }
  // bob with his own certificate gets in; another CA's and a revoked certificate do not.
  require_frame(gw.port(), with_cert(bob, tls, pki.bob), 320, 240);
  check_refused(gw, vnc_connect(gw.port(), with_cert(alice, tls, pki.stranger)),
                "client certificate not accepted: unable to get local issuer certificate",
                "unable to get local issuer certificate");
  check_refused(gw, vnc_connect(gw.port(), with_cert(alice, tls, pki.revoked)),
                "client certificate not accepted: certificate revoked", "certificate revoked");
  check_clean_shutdown(gw, secrets_of(pki));
}
