#pragma once
#include "dolphin/core/core.h"
