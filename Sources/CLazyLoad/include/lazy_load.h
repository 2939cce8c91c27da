#ifndef LADING_LAZY_LOAD_H
#define LADING_LAZY_LOAD_H
/* What the C targets that load a system library on first use share (CLibPQLoader,
 * CCryptoLoader): a library a command may never need costs every command its
 * relocations at start-up when it is linked, and stops lading from starting at all
 * where it is not installed.
 *
 * A loader lists the functions lading calls as an X-macro of
 *     X(return type, name, (parameters), (arguments), value when not loaded)
 * and expands it three times: LADING_LAZY_POINTER (one pointer per function),
 * LADING_LAZY_RESOLVE (inside its pthread_once body, after lading_lazy_open) and
 * LADING_LAZY_FORWARD (a hidden function of the library's own name and prototype, so
 * the compiler checks it against the library's header, and the library's internal
 * calls never bind to it). The loader defines LADING_LAZY_LOADER, its load function,
 * before expanding LADING_LAZY_FORWARD. */
#include <stddef.h>

/* dlopen(soname); NULL with `message` naming the library, dlerror's reason and `hint`. */
void *lading_lazy_open(const char *soname, const char *purpose, const char *hint, char *message, size_t size);

/* dlsym(library, name); NULL with `message` naming the missing function and `hint`. */
void *lading_lazy_symbol(void *library, const char *soname, const char *name, const char *hint, char *message, size_t size);

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
