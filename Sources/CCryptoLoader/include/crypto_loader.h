#ifndef LADING_CRYPTO_LOADER_H
#define LADING_CRYPTO_LOADER_H
/* libcrypto is loaded when lading first hashes a file, not when it starts: binding its
 * four thousand symbols cost every command about half a millisecond of start-up, a
 * rerun with nothing new hashes nothing, and most commands never hash at all.
 *
 * Returns NULL once libcrypto is loaded with every function lading calls, else a
 * message naming what is missing. Safe to call from several threads. */
const char *lading_crypto_load(void);
#endif
