#ifndef LADING_CLIBPQ_SHIM_H
#define LADING_CLIBPQ_SHIM_H
/* libpq, PostgreSQL's C client: connections, parameterised statements and COPY FROM STDIN.
 * Declarations only; CLibPQLoader provides the functions (loading libpq on first use).
 * Debian keeps the header under postgresql/. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#endif
