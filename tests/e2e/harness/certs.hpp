// certs.hpp — a self-signed TLS certificate for the gateway, made with `openssl req`.
//
// One EC P-256 certificate, CN=localhost, SAN DNS:localhost + IP:127.0.0.1, valid 30
// days; clients use cert.pem itself as their CA file. The key is written mode 600 (the
// gateway refuses a readable key). Blocking (runs openssl, ~50 ms).
#pragma once

#include <filesystem>

#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

struct certs {
  std::filesystem::path certificate{};  // PEM; also the CA file for clients
  std::filesystem::path private_key{};  // PEM, mode 600
};

// Writes cert.pem and key.pem under dir/`subdir`; throws std::runtime_error on failure.
certs make_certs(const temp_dir& dir, const std::string& subdir = "tls");

}  // namespace vncgate::e2e
