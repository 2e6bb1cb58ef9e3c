#include "dolphin/a/a.h"
#include "dolphin/b/b.h"
#include "libs/b/src/secret.h"
