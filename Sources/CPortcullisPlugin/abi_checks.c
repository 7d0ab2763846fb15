/* Compile-time checks of the ABI's layout on this platform. (A C target also needs one .c file.) */
#include "portcullis_plugin.h"

_Static_assert(sizeof(pc_str) == 2 * sizeof(void *), "pc_str is pointer + length");
_Static_assert(sizeof(pc_address) == 24, "pc_address layout is part of ABI 1");
_Static_assert(PC_VERDICT_COUNT == 4, "verdicts are a closed list");
_Static_assert(PC_REASON_COUNT == 14, "update ReasonCode in Swift when adding a reason");
/* The 1.0 layouts are frozen: 1.0 plugins in the field were built against them. */
_Static_assert(sizeof(void *) != 8 || PC_DESCRIPTOR_SIZE_1_0 == 136, "the 1.0 descriptor layout must not change");
_Static_assert(sizeof(void *) != 8 || PC_REQUEST_SIZE_1_0 == 272, "the 1.0 request layout must not change");
/* pc_option is an array element: its size is its stride, so it only grows through its reserved fields. */
_Static_assert(sizeof(void *) != 8 || sizeof(pc_option) == 72, "the pc_option layout must not change");
_Static_assert(sizeof(void *) != 8 || sizeof(pc_host) == 72, "pc_host keeps its 1.0 size: 1.2 services fill reserved slots");
