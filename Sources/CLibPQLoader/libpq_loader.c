/* The libpq functions lading calls, each forwarding to the real one in libpq.so.5,
 * loaded on first use (see libpq_loader.h and lazy_load.h). */
#include "../CLibPQ/shim.h"
#include "lazy_load.h"
#include "libpq_loader.h"

#define LADING_LIBPQ_FUNCTIONS(X) \
    X(ConnStatusType, PQstatus, (const PGconn *conn), (conn), CONNECTION_BAD) \
    X(void, PQfinish, (PGconn *conn), (conn), ) \
    X(void, PQclear, (PGresult *res), (res), ) \
    X(int, PQputCopyEnd, (PGconn *conn, const char *errormsg), (conn, errormsg), -1) \
    X(PGresult *, PQgetResult, (PGconn *conn), (conn), NULL) \
    X(char *, PQerrorMessage, (const PGconn *conn), (conn), NULL) \
    X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn), PQTRANS_UNKNOWN) \
    X(PGcancel *, PQgetCancel, (PGconn *conn), (conn), NULL) \
    X(void, PQfreemem, (void *ptr), (ptr), ) \
    X(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query), NULL) \
    X(int, PQcancel, (PGcancel *cancel, char *errbuf, int errbufsize), (cancel, errbuf, errbufsize), 0) \
    X(char *, PQuser, (const PGconn *conn), (conn), NULL) \
    X(int, PQsocket, (const PGconn *conn), (conn), -1) \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg), NULL) \
    X(ExecStatusType, PQresultStatus, (const PGresult *res), (res), PGRES_FATAL_ERROR) \
    X(char *, PQresultErrorMessage, (const PGresult *res), (res), NULL) \
    X(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode), NULL) \
    X(void, PQreset, (PGconn *conn), (conn), ) \
    X(int, PQputCopyData, (PGconn *conn, const char *buffer, int nbytes), (conn, buffer, nbytes), -1) \
    X(char *, PQport, (const PGconn *conn), (conn), NULL) \
    X(const char *, PQparameterStatus, (const PGconn *conn, const char *paramName), (conn, paramName), NULL) \
    X(int, PQntuples, (const PGresult *res), (res), 0) \
    X(int, PQnfields, (const PGresult *res), (res), 0) \
    X(char *, PQhost, (const PGconn *conn), (conn), NULL) \
    X(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num), NULL) \
    X(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num), 0) \
    X(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num), 1) \
    X(int, PQgetCopyData, (PGconn *conn, char **buffer, int async), (conn, buffer, async), -2) \
    X(PGresult *, PQexecParams, (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, \
                                 const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat), \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat), NULL) \
    X(char *, PQdb, (const PGconn *conn), (conn), NULL) \
    X(int, PQconsumeInput, (PGconn *conn), (conn), 0) \
    X(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg), (conninfo, errmsg), NULL) \
    X(void, PQconninfoFree, (PQconninfoOption *connOptions), (connOptions), ) \
    X(PGconn *, PQconnectdbParams, (const char *const *keywords, const char *const *values, int expand_dbname), \
      (keywords, values, expand_dbname), NULL) \
    X(char *, PQcmdTuples, (PGresult *res), (res), NULL)

#define LADING_LAZY_SONAME "libpq.so.5"
#define LADING_LAZY_SYMBOL_HINT "install a libpq of PostgreSQL 10 or later"
#define LADING_LAZY_LOADER lading_libpq_load

/* PQcancel runs in a signal handler: by then a connection was made, which loaded libpq. */
LADING_LAZY_LIBRARY(LADING_LIBPQ_FUNCTIONS, "PostgreSQL support", "Install it (Debian: apt-get install libpq5)")
