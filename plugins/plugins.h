/* SPDX-License-Identifier: MIT */
#pragma once

#include "action.h"

/* One descriptor per built-in backend. */
extern const struct action_ops reply_action;
extern const struct action_ops dbus_action;
extern const struct action_ops dbus_expose_action;
extern const struct action_ops exec_action;

/* exec_max_concurrent: programs of exec: actions running at once in the whole agent (default 8;
 * 0 restores the default). One requester may use at most half of them, rounded up. */
void exec_set_global_max(unsigned n);
