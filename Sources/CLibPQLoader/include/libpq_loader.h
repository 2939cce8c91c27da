#ifndef LADING_LIBPQ_LOADER_H
#define LADING_LIBPQ_LOADER_H
/* libpq is loaded when lading first talks to PostgreSQL, not when it starts: its
 * twenty libraries (Kerberos, LDAP, TLS) cost every SQLite command about 4 ms of start-up,
 * and a machine without libpq can still use the embedded warehouse.
 *
 * Returns NULL once libpq is loaded with every function lading calls, else a message
 * naming what is missing. Safe to call from several threads; not from a signal handler
 * (nothing there can run before a connection was made, which loads it first). */
const char *lading_libpq_load(void);
#endif
