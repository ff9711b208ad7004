// sanitizer_hooks.cpp — LeakSanitizer suppressions for the end-to-end binary when it is
// built with VNCGATE_SANITIZE. libvncclient 0.9.14 never frees the GnuTLS certificate
// credentials it allocates for a VeNCrypt X509 login (HandleVeNCryptAuth), so every
// X509Plain test would otherwise fail at exit on a leak that is not ours. The runtime
// looks this weak hook up by name; without a sanitizer it is an unused function.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return "leak:gnutls_certificate_allocate_credentials\n"
         "leak:libgnutls.so\n"
         "leak:libtasn1.so\n";
}
