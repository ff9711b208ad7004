// scenario.hpp — the people, desktops and checks the end-to-end test cases share.
//
// The cast: alice (group designers), bob (no group), carol (designers); one Xvnc
// desktop per target with the VNC password `vnc_password`. The check_* helpers hold
// the assertions every test repeats: a good session leaves the right audit lines, a
// refused one the right outcome, the gateway still serves afterwards and has released
// every descriptor, and the audit trail is whole. They use Catch (REQUIRE/CHECK), so
// they run on the test's thread only.
#pragma once

#include <string>

#include "harness/audit_trail.hpp"
#include "harness/certs.hpp"
#include "harness/gateway.hpp"
#include "harness/raw_client.hpp"
#include "harness/temp_dir.hpp"
#include "harness/vencrypt_login.hpp"
#include "harness/vnc_client.hpp"
#include "harness/x_display.hpp"
#include "harness/xvnc.hpp"

namespace vncgate::e2e {

inline const std::string vnc_password = "vncpass1";  // 8 chars: VncAuth uses only 8

// A temp dir, a certificate and one 320x240 Xvnc desktop protected by vnc_password.
struct small_desk_setup {
  temp_dir dir;
  certs tls = make_certs(dir);
  xvnc_server desk{dir, {.password = vnc_password, .width = 320, .height = 240}};
};
inline const user_spec alice{"alice", "alice-pw-1", {"designers"}};
inline const user_spec bob{"bob", "bob-pw-22", {}};
inline const user_spec carol{"carol", "carol-pw-333", {"designers"}};

// A target for `desk` reachable by `users`, with the gateway knowing its VNC password.
target_spec target_for(const xvnc_server& desk, std::string name, std::vector<std::string> users,
                       std::vector<std::string> groups = {});

vnc_login login_as(const user_spec& user, const certs& tls, const std::string& suffix = "");

// libvncclient through the gateway must get a full frame of the given size.
vnc_session_result require_frame(std::uint16_t port, const vnc_login& login, int width, int height);

// The audit lines of a session that went through: accepted on `listener_port`, auth
// success with `method`, session_start and session_end ok with the byte counts.
// Returns the session_end line.
audit_event check_good_session(const gateway& gw, const std::string& source, std::uint16_t listener_port,
                               const std::string& user, const std::string& target, std::uint16_t target_port,
                               const std::string& method, double min_bytes_to_client);

// The session_end line of the session from `source` (waited for; it names the source and a reason).
audit_event session_end_of(const gateway& gw, const std::string& source);

// The session from `source` ended with `outcome`; returns its session_end line.
audit_event check_session_outcome(const gateway& gw, const std::string& source, const std::string& outcome);

// After a refusal: the gateway runs and a good client still gets a frame.
void check_still_serves(gateway& gw, std::uint16_t port, const vnc_login& good, int width, int height);

// fd count of the gateway returns to `baseline` within a few seconds.
void check_fds_settle(const gateway& gw, int baseline);

// End of scenario: stop the gateway, then every connection_accepted has exactly one
// session_end, every line parses, no `secrets` appear in the audit trail or the log,
// and no sanitizer report was printed.
void check_clean_shutdown(gateway& gw, const std::vector<std::string>& secrets);

// A raw client that reads the 3.8 greeting and answers with `version` (12 bytes).
bool exchange_versions(raw_client& client, const std::string& version);

// Refused at accept without a greeting: the gateway closes and not one byte arrives.
void check_closed_without_a_byte(raw_client& client);

// The connection from `source` was refused at accept on `listener_port` for `reason`
// ("address_denied", "rate_limited", "too_many_handshakes"): one connection_refused line
// with a detail, and no connection_accepted for it. Returns the connection_refused line.
audit_event check_refused_at_accept(const gateway& gw, const std::string& source, std::uint16_t listener_port,
                                    const std::string& reason);

// The connection from `source` was accepted (it has a connection_accepted line).
void check_accepted(const gateway& gw, const std::string& source);

// The session_start line of the session from `source` (waited for).
audit_event session_start_of(const gateway& gw, const std::string& source);

// `user`'s login presenting the client certificate and key of `client`.
vnc_login with_cert(const user_spec& user, const certs& tls, const certs& client);

// The client_certificate audit line of the session from `source` (there must be exactly one).
audit_event certificate_record(const gateway& gw, const std::string& source);

// Every audit line of `event` kind, in order.
std::vector<audit_event> events_named(const gateway& gw, const std::string& event);

}  // namespace vncgate::e2e
