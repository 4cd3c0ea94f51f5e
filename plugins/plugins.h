/* SPDX-License-Identifier: MIT */
#pragma once

#include "action.h"

/* One descriptor per built-in backend. */
extern const struct action_ops reply_action;
