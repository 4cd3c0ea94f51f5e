/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include "util.h"

/* One audit line per execution, denial and rejected form. Secrets (passwords, text-private
 * values) never appear: backends mask them in detail (e.g. an argv with *** in their place). */
struct audit_event {
        const char *requester; /* full JID */
        const char *node;
        const char *stage;   /* e.g. "execute", "form", "confirm", "action", "disco" */
        const char *outcome; /* e.g. "completed", "failed", "denied", "rejected", "canceled" */
        usec_t duration;
        const char *detail; /* optional; a field name or an error, never a value */
};

/* Writes v in double quotes, with quotes, backslashes and control characters escaped. */
void audit_quote(FILE *f, const char *v);
/* Formats the event as key=value pairs; values are quoted and escaped when needed. */
char *audit_format(const struct audit_event *e);
/* Logs the event at info level with an "audit:" prefix. */
void audit_log(const struct audit_event *e);
