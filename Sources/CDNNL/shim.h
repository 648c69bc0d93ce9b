// oneDNN's C API (Debian: libdnnl-dev, which ships no pkg-config file; the header is on the default path).
#include <oneapi/dnnl/dnnl.h>

// Debian's oneDNN runs its parallel regions on OpenMP (libgomp). A thread's OpenMP team size is its own
// setting, so the caller sets it on the thread that runs each primitive; omp.h is not on Swift's include
// path, hence the declarations.
void omp_set_num_threads(int count);
int omp_get_max_threads(void);
