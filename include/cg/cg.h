/* <cg/cg.h> - the C API; the same header as <cg.h>. */
#include "../cg.h"
