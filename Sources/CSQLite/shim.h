#ifndef LADING_CSQLITE_SHIM_H
#define LADING_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
