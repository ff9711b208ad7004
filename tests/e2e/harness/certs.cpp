#include "harness/certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "harness/process.hpp"

namespace vncgate::e2e {

certs make_certs(const temp_dir& dir, const std::string& subdir) {
  std::filesystem::path where = dir.path() / subdir;
  std::filesystem::create_directories(where);
  certs out{where / "cert.pem", where / "key.pem"};
  // The SAN must name what clients dial: GnuTLS (libvncclient, vncviewer) checks it.
  auto r = run({.argv = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-days", "30", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                         "-keyout", out.private_key.string(), "-out", out.certificate.string()}},
               dir.path());
  if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
  ::chmod(out.private_key.c_str(), 0600);
  return out;
}

namespace {

void openssl(const temp_dir& dir, std::vector<std::string> args, const std::string& what) {
  args.insert(args.begin(), "openssl");
  auto r = run({.argv = args}, dir.path());
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

const std::string ca_subject = "/CN=vncgate test client CA";

// A CA certificate and key: dir/`name`.pem, dir/`name`.key.
void make_ca(const temp_dir& dir, const std::filesystem::path& where, const std::string& name) {
  auto key = where / (name + ".key");
  openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                "-subj", ca_subject, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign", "-keyout", key.string(), "-out",
                (where / (name + ".pem")).string()},
          "openssl req (" + name + ")");
  ::chmod(key.c_str(), 0600);
}

// A client certificate for `user` signed by the CA `ca` (dir/`ca`.pem + .key).
certs make_client(const temp_dir& dir, const std::filesystem::path& where, const std::string& name,
                  const std::string& user, const std::string& ca, int serial) {
  certs out{where / (name + ".pem"), where / (name + ".key")};
  auto csr = where / (name + ".csr");
  openssl(dir, {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=" + user, "-keyout", out.private_key.string(), "-out", csr.string()},
          "openssl req (" + name + ")");
  ::chmod(out.private_key.c_str(), 0600);
  openssl(dir, {"x509", "-req", "-in", csr.string(), "-CA", (where / (ca + ".pem")).string(), "-CAkey",
                (where / (ca + ".key")).string(), "-set_serial", std::to_string(serial), "-days", "30", "-extfile",
                (where / "client.ext").string(), "-out", out.certificate.string()},
          "openssl x509 -req (" + name + ")");
  return out;
}

// A CRL from the CA `ca` (where/`ca`.pem + .key) listing `revoked`, written to
// where/`name`.pem. `openssl ca` keeps its revocations in a text database; each CRL gets
// its own, with the minimal config `openssl ca` needs.
std::filesystem::path make_crl(const temp_dir& dir, const std::filesystem::path& where, const std::string& ca,
                               const std::string& name, const std::vector<std::filesystem::path>& revoked) {
  const auto index = where / (name + ".index"), number = where / (name + ".crlnumber"), cnf = where / (name + ".cnf");
  write_file(index, "");
  write_file(number, "01\n");
  write_file(cnf, "[ca]\ndefault_ca = test_ca\n[test_ca]\ndatabase = " + index.string() + "\ncrlnumber = " +
                      number.string() + "\ndefault_md = sha256\ndefault_crl_days = 30\n");
  const std::vector<std::string> ca_args = {"ca", "-batch", "-config", cnf.string(), "-keyfile",
                                            (where / (ca + ".key")).string(), "-cert", (where / (ca + ".pem")).string()};
  for (const auto& certificate : revoked) {
    auto args = ca_args;
    args.insert(args.end(), {"-revoke", certificate.string()});
    openssl(dir, args, "openssl ca -revoke");
  }
  auto path = where / (name + ".pem");
  auto args = ca_args;
  args.insert(args.end(), {"-gencrl", "-out", path.string()});
  openssl(dir, args, "openssl ca -gencrl (" + name + ")");
  return path;
}

}  // namespace

std::string certificate_sha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += digits[md[i] >> 4];
    hex += digits[md[i] & 0xf];
  }
  return hex;
}

std::string certificate_sha256(const std::filesystem::path& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_file(pem.c_str(), "r"), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr,
                                                   X509_free);
  if (!cert) throw std::runtime_error("no PEM certificate in " + pem.string());
  return certificate_sha256(cert.get());
}

client_pki make_client_pki(const temp_dir& dir, const std::string& subdir) {
  std::filesystem::path where = dir.path() / subdir;
  std::filesystem::create_directories(where);
  client_pki out;
  make_ca(dir, where, "ca");
  make_ca(dir, where, "other-ca");
  out.ca = where / "ca.pem";
  out.other_ca = where / "other-ca.pem";
  write_file(where / "client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  out.alice = make_client(dir, where, "alice", "alice", "ca", 0x1001);
  out.bob = make_client(dir, where, "bob", "bob", "ca", 0x1002);
  out.revoked = make_client(dir, where, "revoked", "alice", "ca", 0x1003);
  out.stranger = make_client(dir, where, "stranger", "alice", "other-ca", 0x1004);

  out.crl = make_crl(dir, where, "ca", "crl", {out.revoked.certificate});
  out.empty_crl = make_crl(dir, where, "ca", "crl-empty", {});
  out.other_crl = make_crl(dir, where, "other-ca", "other-crl-empty", {});
  return out;
}

}  // namespace vncgate::e2e
