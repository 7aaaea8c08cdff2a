// SwiftPM needs one C source for the target; the header is all that matters.
#include "CLibFuzzer.h"
