#include <dlfcn.h>
#include <stdio.h>
#include "lazy_load.h"

void *lading_lazy_open(const char *soname, const char *purpose, const char *hint, char *message, size_t size) {
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *detail = dlerror();
        snprintf(message, size, "%s needs %s, which could not be loaded: %s. %s", purpose, soname,
                 detail ? detail : "unknown error", hint);
    }
    return library;
}

void *lading_lazy_symbol(void *library, const char *soname, const char *name, const char *hint, char *message, size_t size) {
    void *symbol = dlsym(library, name);
    if (symbol == NULL) snprintf(message, size, "the %s found has no %s: %s", soname, name, hint);
    return symbol;
}
