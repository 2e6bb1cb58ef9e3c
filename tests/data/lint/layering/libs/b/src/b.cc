#include "dolphin/b/b.h"
