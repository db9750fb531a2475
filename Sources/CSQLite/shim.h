// shim.h: the system's SQLite 3 C API (Debian's libsqlite3-dev) for the tuning cache.
#include <sqlite3.h>
