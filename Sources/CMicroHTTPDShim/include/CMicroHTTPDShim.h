// One-line wrappers for libmicrohttpd's variadic functions, which Swift cannot call. No policy lives
// here; the options are chosen in Swift (HTTPServer).
#ifndef VIVID_HTTP_SHIM_H
#define VIVID_HTTP_SHIM_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// MHD_start_daemon with no accept policy and the options given as an MHD_OPTION_END-terminated array.
struct MHD_Daemon *vivid_mhd_start(unsigned int flags, uint16_t port, MHD_AccessHandlerCallback handler,
                                   void *context, const struct MHD_OptionItem *options);
/// The port the daemon listens on (useful when it was started on port 0), or 0 when unknown.
uint16_t vivid_mhd_bound_port(struct MHD_Daemon *daemon);
/// The connection's socket, or -1 when unknown.
int vivid_mhd_connection_socket(struct MHD_Connection *connection);

#endif
