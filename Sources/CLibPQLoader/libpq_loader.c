/* The libpq functions lading calls, each forwarding to the real one in libpq.so.5,
 * loaded on first use (see libpq_loader.h). The prototypes come from libpq-fe.h, so the
 * compiler checks every forwarder against libpq's own declaration. The forwarders are
 * hidden: libpq's internal calls never bind to them. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include "../CLibPQ/shim.h"
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

#define LADING_POINTER(type, name, params, args, fallback) static type (*real_##name) params;
LADING_LIBPQ_FUNCTIONS(LADING_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libpq was not loaded";
static char message[512];

static void load(void) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *detail = dlerror();
        snprintf(message, sizeof message, "PostgreSQL support needs libpq (libpq.so.5), which could not be loaded: %s. "
                 "Install it (Debian: apt-get install libpq5)", detail ? detail : "unknown error");
        failure = message;
        return;
    }
#define LADING_RESOLVE(type, name, params, args, fallback) \
    real_##name = (type (*) params) dlsym(library, #name); \
    if (real_##name == NULL) { \
        snprintf(message, sizeof message, "the libpq found (libpq.so.5) has no %s: install a libpq of PostgreSQL 10 or later", #name); \
        failure = message; \
        return; \
    }
    LADING_LIBPQ_FUNCTIONS(LADING_RESOLVE)
    failure = NULL;
}

const char *lading_libpq_load(void) {
    pthread_once(&once, load);
    return failure;
}

/* Once loaded, a forwarder only reads its pointer (PQcancel runs in a signal handler).
 * One called before a successful load (a bug: every path loads first) does nothing and
 * returns the value libpq gives for a dead connection. */
#define LADING_FORWARD(type, name, params, args, fallback) \
    __attribute__((visibility("hidden"))) type name params { \
        if (real_##name == NULL && lading_libpq_load() != NULL) return fallback; \
        return real_##name args; \
    }
LADING_LIBPQ_FUNCTIONS(LADING_FORWARD)
