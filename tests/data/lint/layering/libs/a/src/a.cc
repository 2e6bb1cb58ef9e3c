#include "dolphin/a/a.h"
#include "dolphin/b/b.h"
#include "../../core/src/private.h"
#include "dolphin/nothing/here.h"
