// libmicrohttpd (Debian bookworm: 0.9.75). Its header expects the POSIX types to be declared first.
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>
