#include "dolphin/core/core.h"
#include "private.h"
