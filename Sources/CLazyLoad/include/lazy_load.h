#ifndef LADING_LAZY_LOAD_H
#define LADING_LAZY_LOAD_H
/* What the C targets that load a system library on first use share (CLibPQLoader,
 * CCryptoLoader): a library a command may never need costs every command its
 * relocations at start-up when it is linked, and stops lading from starting at all
 * where it is not installed.
 *
 * A loader lists the functions lading calls as an X-macro of
 *     X(return type, name, (parameters), (arguments), value when not loaded)
 * defines LADING_LAZY_SONAME, LADING_LAZY_SYMBOL_HINT and LADING_LAZY_LOADER (the name
 * of its load function), and expands LADING_LAZY_LIBRARY once. That gives one pointer
 * per function (LADING_LAZY_POINTER), the load function, run once, which resolves
 * them all (LADING_LAZY_RESOLVE) and returns NULL or what is missing, and a hidden
 * function of each library function's own name and prototype (LADING_LAZY_FORWARD),
 * so the compiler checks it against the library's header and the library's internal
 * calls never bind to it. */
#include <pthread.h>
#include <stddef.h>

/* dlopen(soname); NULL with `message` naming the library, dlerror's reason and `hint`. */
void *lading_lazy_open(const char *soname, const char *purpose, const char *hint, char *message, size_t size);

/* dlsym(library, name); NULL with `message` naming the missing function and `hint`. */
void *lading_lazy_symbol(void *library, const char *soname, const char *name, const char *hint, char *message, size_t size);

/* The whole loader of one library, `functions` being its X-macro list. */
#define LADING_LAZY_LIBRARY(functions, purpose, install_hint) \
    functions(LADING_LAZY_POINTER) \
    static pthread_once_t once = PTHREAD_ONCE_INIT; \
    static const char *failure = "the library was not loaded"; \
    static char message[512]; \
    static void load(void) { \
        void *library = lading_lazy_open(LADING_LAZY_SONAME, purpose, install_hint, message, sizeof message); \
        if (library == NULL) { \
            failure = message; \
            return; \
        } \
        functions(LADING_LAZY_RESOLVE) \
        failure = NULL; \
    } \
    const char *LADING_LAZY_LOADER(void) { \
        pthread_once(&once, load); \
        return failure; \
    } \
    functions(LADING_LAZY_FORWARD)

#define LADING_LAZY_POINTER(type, name, params, args, fallback) static type (*real_##name) params;

/* Expects `library`, `message`, `failure` and the soname and hint macros of the loader in scope. */
#define LADING_LAZY_RESOLVE(type, name, params, args, fallback) \
    real_##name = (type (*) params) lading_lazy_symbol(library, LADING_LAZY_SONAME, #name, LADING_LAZY_SYMBOL_HINT, message, sizeof message); \
    if (real_##name == NULL) { failure = message; return; }

/* Once loaded, a forwarder only reads its pointer (so one may run in a signal handler).
 * One called before a successful load (a bug: every path loads first) does nothing and
 * returns the fallback value. */
#define LADING_LAZY_FORWARD(type, name, params, args, fallback) \
    __attribute__((visibility("hidden"))) type name params { \
        if (real_##name == NULL && LADING_LAZY_LOADER() != NULL) return fallback; \
        return real_##name args; \
    }
#endif
