// cert_rotation_test.cpp — SIGHUP re-reads the TLS certificate, its key, the client CA
// and the CRL: new connections get the new ones (the fingerprint the client sees, a
// real client trusting only the new certificate, mTLS verdicts), a session opened
// before keeps relaying on its own, and a half-done or broken rotation fails the reload,
// is audited and changes nothing. Files are replaced at their paths as an administrator
// does, and through a Kubernetes Secret volume's `..data` swap as the kubelet does.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "scenario.hpp"
#include "told_session.hpp"

using namespace vncgate::e2e;

namespace {

namespace fs = std::filesystem;

void copy_over(const fs::path& from, const fs::path& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// A directory laid out as the kubelet writes a Secret volume of type kubernetes.io/tls
// (pkg/volume/util/atomic_writer.go): ..<timestamp>/ holds tls.crt and tls.key, ..data
// links to it, each name links to ..data/<name>. The key is 0440 root:<our gid>, what
// defaultMode 0400 becomes with the pod's fsGroup.
class secret_volume {
 public:
  secret_volume(const temp_dir& dir, const std::string& name) : mount_(dir.path() / name) {
    fs::create_directories(mount_);
  }
  certs paths() const { return {mount_ / "tls.crt", mount_ / "tls.key"}; }

  // A new version with `source`'s files, then ..data renamed over the old link and the
  // old version removed: the update the kubelet makes when the Secret changes.
  void project(const certs& source) {
    const std::string version = "..2026_12_04_20_53_22." + std::to_string(123456789 + versions_++);
    fs::create_directory(mount_ / version);
    fs::copy_file(source.certificate, mount_ / version / "tls.crt");
    const auto key = mount_ / version / "tls.key";
    fs::copy_file(source.private_key, key);
    REQUIRE(::chmod(key.c_str(), 0440) == 0);
    REQUIRE(::chown(key.c_str(), 0, ::getegid()) == 0);
    std::error_code none;
    const auto previous = fs::read_symlink(mount_ / "..data", none);
    fs::create_symlink(version, mount_ / "..data_tmp");
    fs::rename(mount_ / "..data_tmp", mount_ / "..data");
    for (const char* name : {"tls.crt", "tls.key"})
      if (!fs::is_symlink(fs::symlink_status(mount_ / name))) fs::create_symlink(fs::path("..data") / name, mount_ / name);
    if (!previous.empty()) fs::remove_all(mount_ / previous);
  }

 private:
  fs::path mount_;
  int versions_ = 0;
};

// A fresh VeNCrypt login as bob that trusts only `trusted`: the fingerprint of the
// certificate the gateway presented.
std::string fingerprint_seen(const gateway& gw, const certs& trusted) {
  raw_client c(gw.port());
  auto login = vencrypt_login(c, bob.name, bob.password, trusted.certificate);
  INFO("login: " << login.error << login.reason);
  REQUIRE(login.ok());
  return c.peer_certificate_sha256();
}

// The newest config_reload record.
audit_event last_reload(const gateway& gw) {
  auto reloads = events_named(gw, "config_reload");
  REQUIRE_FALSE(reloads.empty());
  INFO(boost::json::serialize(reloads.back()));
  CHECK(text_of(reloads.back(), "cause") == "SIGHUP");
  return reloads.back();
}

bool session_ended(const gateway& gw, const std::string& source) {
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  for (const auto& e : gw.audit().settled_events())
    if (is_event(e, "session_end") && text_of(e, "session") == *session) return true;
  return false;
}

std::vector<std::string> secrets_with_keys(std::vector<std::string> secrets, const std::vector<fs::path>& keys) {
  for (const auto& k : keys) {
    auto pem = read_text(k);
    secrets.push_back(pem.substr(pem.find('\n') + 1, 40));  // the key's first base64 bytes
  }
  return secrets;
}

gateway_options desk_for_alice_and_bob(const small_desk_setup& s) {
  return {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice", "bob"})}};
}

// After a reload that installed `fresh`: new connections see it (a raw login and a real
// client that trust only `fresh`; one that trusts only `old` fails its handshake), and
// `live`, opened before the reload, still relays: a full frame answers a new request.
void check_rotated(gateway& gw, raw_session& live, const certs& old, const certs& fresh) {
  CHECK(text_of(last_reload(gw), "result") == "success");
  CHECK(fingerprint_seen(gw, fresh) == certificate_sha256(fresh.certificate));
  require_frame(gw.port(), login_as(bob, fresh), 320, 240);
  auto stale = vencrypt_login(gw.port(), bob.name, bob.password, old.certificate);
  CHECK_FALSE(stale.answered);
  CHECK(stale.error.find("certificate verify failed") != std::string::npos);

  CHECK(live.client->peer_certificate_sha256() == certificate_sha256(old.certificate));
  CHECK_FALSE(session_ended(gw, live.client->source()));
  REQUIRE(send_update_request(*live.client, false, 320, 240));
  live.read(5s, 1);
  INFO(describe(live.stream));
  CHECK(live.stream.state == stream_state::open);
  CHECK(live.stream.messages.size() == 2);  // the first frame, and the answer after the reload
  CHECK(live.stream.raw_pixels() >= 2L * 320 * 240);
  live.client->close();
  auto end = check_session_outcome(gw, live.client->source(), "ok");
  CHECK(number_of(end, "bytes_to_client").value_or(0) > 2.0 * 320 * 240);
}

}  // namespace

TEST_CASE("rotation: a certificate and key replaced at their paths serve new connections after SIGHUP",
          "[e2e][reload][rotation]") {
  small_desk_setup s;
  auto options = desk_for_alice_and_bob(s);
  gateway gw(s.dir, s.tls, options);
  // What is served now, kept for the clients to trust; and the renewed pair.
  const certs old{s.dir.path() / "served-before.pem", s.tls.private_key};
  copy_over(s.tls.certificate, old.certificate);
  const certs fresh = make_certs(s.dir, "tls-next");
  REQUIRE(certificate_sha256(fresh.certificate) != certificate_sha256(old.certificate));
  const auto secrets = secrets_with_keys({alice.password, bob.password, vnc_password},
                                         {s.tls.private_key, fresh.private_key});

  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw}});
  CHECK(live.client->peer_certificate_sha256() == certificate_sha256(old.certificate));

  SECTION("the new certificate without its key: the reload fails, is audited and changes nothing") {
    copy_over(fresh.certificate, s.tls.certificate);
    CHECK_FALSE(gw.reload(options));
    auto failed = last_reload(gw);
    CHECK(text_of(failed, "result") == "failure");
    CHECK(text_of(failed, "reason").find(gw.config_path().string()) != std::string::npos);
    CHECK(fingerprint_seen(gw, old) == certificate_sha256(old.certificate));
    require_frame(gw.port(), login_as(bob, old), 320, 240);

    // The key follows: the next reload takes both.
    copy_over(fresh.private_key, s.tls.private_key);
    REQUIRE(gw.reload(options));
    check_rotated(gw, live, old, fresh);
  }
  SECTION("a key that is readable by others: refused like at start-up, the old pair stays") {
    copy_over(fresh.certificate, s.tls.certificate);
    copy_over(fresh.private_key, s.tls.private_key);
    REQUIRE(::chmod(s.tls.private_key.c_str(), 0644) == 0);
    CHECK_FALSE(gw.reload(options));
    CHECK(text_of(last_reload(gw), "result") == "failure");
    CHECK(fingerprint_seen(gw, old) == certificate_sha256(old.certificate));

    REQUIRE(::chmod(s.tls.private_key.c_str(), 0600) == 0);
    REQUIRE(gw.reload(options));
    check_rotated(gw, live, old, fresh);
  }
  check_clean_shutdown(gw, secrets);
}

TEST_CASE("rotation: a Kubernetes Secret volume updated by the kubelet's ..data swap, then SIGHUP",
          "[e2e][reload][rotation][k8s]") {
  small_desk_setup s;
  secret_volume volume(s.dir, "k8s-tls");
  volume.project(s.tls);
  const certs mounted = volume.paths();
  REQUIRE(fs::is_symlink(fs::symlink_status(mounted.private_key)));
  auto options = desk_for_alice_and_bob(s);
  gateway gw(s.dir, mounted, options);  // starts: the key 0440 root:our group through two links

  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw}});
  const certs fresh = make_certs(s.dir, "tls-next");
  volume.project(fresh);
  CHECK_FALSE(fs::exists(s.dir.path() / "k8s-tls" / "..2026_12_04_20_53_22.123456789"));  // the old version is gone
  REQUIRE(gw.reload(options));
  check_rotated(gw, live, s.tls, fresh);
  check_clean_shutdown(gw, secrets_with_keys({alice.password, bob.password, vnc_password},
                                             {s.tls.private_key, fresh.private_key}));
}

namespace {

// libvncclient presenting `client` is refused with a reason starting with `reason`.
void check_refused(const gateway& gw, const vnc_session_result& r, const std::string& reason) {
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason().rfind(reason, 0) == 0);
  CHECK(text_of(certificate_record(gw, r.source()), "result") == "refused");
  check_session_outcome(gw, r.source(), "certificate_refused");
}

}  // namespace

TEST_CASE("rotation: the client CA and CRL are read again on SIGHUP", "[e2e][reload][rotation][mtls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  auto pki = make_client_pki(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  const auto ca = dir.path() / "trust" / "ca.pem";
  const auto crl = dir.path() / "trust" / "crl.pem";
  fs::create_directories(ca.parent_path());
  copy_over(pki.ca, ca);
  copy_over(pki.empty_crl, crl);
  gateway_options options{.listeners = {listener_spec{.extra_lines = {"client_certificate: required"}}},
                          .users = {alice},
                          .targets = {target_for(desk, "desk", {"alice"})},
                          .tls_lines = {"client_ca: \"" + ca.string() + "\"", "client_crl: \"" + crl.string() + "\""}};
  gateway gw(dir, tls, options);

  // The CRL lists nothing yet: the certificate about to be revoked gets in; another CA's does not.
  auto before = require_frame(gw.port(), with_cert(alice, tls, pki.revoked), 320, 240);
  CHECK(text_of(certificate_record(gw, before.source()), "result") == "verified");
  check_refused(gw, vnc_connect(gw.port(), with_cert(alice, tls, pki.stranger)),
                "client certificate not accepted: unable to get local issuer certificate");

  // The CA publishes a CRL that revokes it; installed at the same path, then SIGHUP.
  copy_over(pki.crl, crl);
  REQUIRE(gw.reload(options));
  auto revoked = vnc_connect(gw.port(), with_cert(alice, tls, pki.revoked));
  check_refused(gw, revoked, "client certificate not accepted: certificate revoked");
  CHECK(text_of(certificate_record(gw, revoked.source()), "reason") == "certificate revoked");
  require_frame(gw.port(), with_cert(alice, tls, pki.alice), 320, 240);

  // A broken CRL: the reload fails, is audited, and the revocation stays in force.
  dir.write("trust/crl.pem", "not a CRL\n", 0644);
  CHECK_FALSE(gw.reload(options));
  CHECK(text_of(last_reload(gw), "result") == "failure");
  check_refused(gw, vnc_connect(gw.port(), with_cert(alice, tls, pki.revoked)),
                "client certificate not accepted: certificate revoked");

  // A new client CA (with its CRL) at the same paths: its certificates get in, the old CA's do not.
  copy_over(pki.other_ca, ca);
  copy_over(pki.other_crl, crl);
  REQUIRE(gw.reload(options));
  auto stranger = require_frame(gw.port(), with_cert(alice, tls, pki.stranger), 320, 240);
  auto record = certificate_record(gw, stranger.source());
  CHECK(text_of(record, "result") == "verified");
  CHECK(text_of(record, "user") == "alice");
  CHECK(text_of(record, "serial") == "1004");
  check_refused(gw, vnc_connect(gw.port(), with_cert(alice, tls, pki.alice)), "client certificate not accepted: ");

  check_clean_shutdown(gw, secrets_with_keys({alice.password, vnc_password},
                                             {pki.alice.private_key, pki.revoked.private_key,
                                              pki.stranger.private_key}));
}
