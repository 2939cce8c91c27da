#ifndef LADING_CCRYPTO_SHIM_H
#define LADING_CCRYPTO_SHIM_H
/* The system's OpenSSL libcrypto, for SHA-256 only (EVP digests: the non-deprecated API of OpenSSL 3). */
#include <openssl/evp.h>
#include <openssl/err.h>
#endif
