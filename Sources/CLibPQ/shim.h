#ifndef LADING_CLIBPQ_SHIM_H
#define LADING_CLIBPQ_SHIM_H
/* libpq, PostgreSQL's C client: connections, parameterised statements and COPY FROM STDIN. */
#include <libpq-fe.h>
#endif
