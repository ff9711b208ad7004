// vnc_auth.cpp — VNC Authentication's DES response and the vncpasswd file format.
//
// DES is only in OpenSSL 3's legacy provider. Loading that provider into the default
// library context would make every legacy algorithm available to the whole process
// (TLS included), so it lives in a private OSSL_LIB_CTX used for nothing else.
#include "rfb/vnc_auth.hpp"

#include <algorithm>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

namespace vncgate::rfb {
namespace {

constexpr std::size_t des_key_size = 8;
using des_key = std::array<std::uint8_t, des_key_size>;

// The fixed key every VNC implementation uses to obfuscate stored passwords, written
// as d3des takes it. d3des reads key bits least-significant first, so it goes through
// the same bit mirroring as a password (checked against `vncpasswd -f`).
constexpr des_key vncpasswd_key = {23, 82, 107, 6, 35, 78, 88, 7};

struct lib_ctx_free { void operator()(OSSL_LIB_CTX* p) const { OSSL_LIB_CTX_free(p); } };
struct provider_unload { void operator()(OSSL_PROVIDER* p) const { OSSL_PROVIDER_unload(p); } };
struct cipher_free { void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); } };
struct cipher_ctx_free { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };

// Members are destroyed in reverse order: cipher, providers, then the context.
class des_library {
 public:
  des_library()
      : ctx_(OSSL_LIB_CTX_new()),
        legacy_(ctx_ ? OSSL_PROVIDER_load(ctx_.get(), "legacy") : nullptr),
        default_(ctx_ ? OSSL_PROVIDER_load(ctx_.get(), "default") : nullptr),
        cipher_(legacy_ && default_ ? EVP_CIPHER_fetch(ctx_.get(), "DES-ECB", nullptr) : nullptr) {}

  // Null when the legacy provider is not installed.
  const EVP_CIPHER* cipher() const { return cipher_.get(); }

 private:
  std::unique_ptr<OSSL_LIB_CTX, lib_ctx_free> ctx_;
  std::unique_ptr<OSSL_PROVIDER, provider_unload> legacy_;
  std::unique_ptr<OSSL_PROVIDER, provider_unload> default_;
  std::unique_ptr<EVP_CIPHER, cipher_free> cipher_;
};

const EVP_CIPHER* des_ecb() {
  static const des_library library;  // initialised once, thread-safe (C++11 statics)
  return library.cipher();
}

std::uint8_t mirror_bits(std::uint8_t b) {
  b = static_cast<std::uint8_t>((b & 0xF0) >> 4 | (b & 0x0F) << 4);
  b = static_cast<std::uint8_t>((b & 0xCC) >> 2 | (b & 0x33) << 2);
  b = static_cast<std::uint8_t>((b & 0xAA) >> 1 | (b & 0x55) << 1);
  return b;
}

// The RFB key from a secret: first 8 bytes, NUL padded, each byte mirrored.
des_key rfb_des_key(byte_view secret) {
  des_key key{};
  for (std::size_t i = 0; i < des_key_size && i < secret.size(); ++i) key[i] = mirror_bits(secret[i]);
  return key;
}

// ECB over whole blocks, no padding. `in` and `out` have the same size, a multiple of 8.
bool des_ecb_apply(const des_key& key, byte_view in, std::uint8_t* out, bool encrypt) {
  const EVP_CIPHER* cipher = des_ecb();
  if (cipher == nullptr) return false;
  std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1) return false;
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return false;
  int written = 0;
  if (EVP_CipherUpdate(ctx.get(), out, &written, in.data(), static_cast<int>(in.size())) != 1) return false;
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out + written, &tail) != 1) return false;
  return static_cast<std::size_t>(written + tail) == in.size();
}

byte_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

result<vnc_auth_block> decode_vnc_auth_challenge(byte_view in) {
  if (in.size() < vnc_auth_challenge_size) return unexpected{errc::need_more};
  vnc_auth_block challenge{};
  std::copy_n(in.begin(), vnc_auth_challenge_size, challenge.begin());
  return decoded<vnc_auth_block>{challenge, vnc_auth_challenge_size};
}

std::optional<vnc_auth_block> vnc_auth_response(const vnc_auth_block& challenge, std::string_view password) {
  des_key key = rfb_des_key(as_bytes(password));
  vnc_auth_block response{};
  const bool ok = des_ecb_apply(key, challenge, response.data(), true);
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) return std::nullopt;
  return response;
}

bool vnc_auth_available() { return des_ecb() != nullptr; }

std::optional<std::string> decode_vncpasswd_file(byte_view file) {
  // 8 bytes: the password; 16: then the view-only password, which we do not use.
  if (file.size() != des_key_size && file.size() != 2 * des_key_size) return std::nullopt;
  std::array<std::uint8_t, des_key_size> plain{};
  const bool ok = des_ecb_apply(rfb_des_key(vncpasswd_key), file.first(des_key_size), plain.data(), false);
  std::optional<std::string> password;
  if (ok) {
    // Servers read the decrypted block as a C string: it ends at the first NUL.
    std::size_t length = 0;
    while (length < plain.size() && plain[length] != 0) ++length;
    password.emplace(reinterpret_cast<const char*>(plain.data()), length);
  }
  OPENSSL_cleanse(plain.data(), plain.size());
  return password;
}

std::optional<bytes> encode_vncpasswd_file(std::string_view password) {
  std::array<std::uint8_t, des_key_size> plain{};
  for (std::size_t i = 0; i < plain.size() && i < password.size(); ++i) {
    plain[i] = static_cast<std::uint8_t>(password[i]);
  }
  bytes file(des_key_size);
  const bool ok = des_ecb_apply(rfb_des_key(vncpasswd_key), plain, file.data(), true);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) return std::nullopt;
  return file;
}

}  // namespace vncgate::rfb
