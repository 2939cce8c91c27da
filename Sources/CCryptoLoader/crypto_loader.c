/* The libcrypto functions lading calls (SHA-256 through EVP, and its error queue),
 * each forwarding to the real one in libcrypto.so.3, loaded on first use (see
 * crypto_loader.h and lazy_load.h). */
#include "../CCrypto/shim.h"
#include "lazy_load.h"
#include "crypto_loader.h"

#define LADING_CRYPTO_FUNCTIONS(X) \
    X(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties), (ctx, algorithm, properties), NULL) \
    X(const EVP_MD *, EVP_sha256, (void), (), NULL) \
    X(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL) \
    X(void, EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx), ) \
    X(int, EVP_DigestInit_ex, (EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl), (ctx, type, impl), 0) \
    X(int, EVP_DigestUpdate, (EVP_MD_CTX *ctx, const void *d, size_t cnt), (ctx, d, cnt), 0) \
    X(int, EVP_DigestFinal_ex, (EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s), (ctx, md, s), 0) \
    X(unsigned long, ERR_get_error, (void), (), 0) \
    X(void, ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len), )

#define LADING_LAZY_SONAME "libcrypto.so.3"
#define LADING_LAZY_SYMBOL_HINT "install OpenSSL 3's libcrypto"
#define LADING_LAZY_LOADER lading_crypto_load

LADING_LAZY_LIBRARY(LADING_CRYPTO_FUNCTIONS, "Hashing files (SHA-256)", "Install it (Debian: apt-get install libssl3)")
