#ifndef LADING_CZLIB_SHIM_H
#define LADING_CZLIB_SHIM_H
#include <zlib.h>
#endif
