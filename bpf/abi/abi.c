/* The OdbShared C target exists to import bpf/include/odb_shared.h into Swift; SwiftPM needs one
 * source file in it, and this one exports the ABI version for the pinned-map compatibility check. */
#include "odb_shared.h"

const unsigned int odb_abi_version = ODB_ABI_VERSION;
