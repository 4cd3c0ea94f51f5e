/* SPDX-License-Identifier: MIT */
#pragma once

#include "feature.h"
#include "util.h"

/*
 * Monitoring through presence: the machine's health in the agent's status, alerts as headline
 * messages and a manual status set remotely. Configured by the top-level "presence:" key.
 */

/* The feature descriptor, listed in builtin_features[]. */
extern const struct feature_ops presence_feature;

/* The access spec of "presence.control" (who may set the status remotely) or NULL when the key
 * is absent, in which case nobody may. cfg is what presence_feature.parse() returned. */
const struct access *presence_control_access(const void *cfg);

/* Sets a manual status that replaces the computed one. show: NULL, "" or "available", "chat",
 * "away", "xa" or "dnd"; text: NULL or a one-line UTF-8 text (at most 1024 bytes); duration: 0
 * until cleared. Publishes at once. -EINVAL for a bad show or text. */
int presence_set_manual(void *state, const char *show, const char *text, usec_t duration);
/* Drops the manual status and publishes the computed one at once. */
void presence_clear_manual(void *state);
/* One line saying what is currently published, e.g. "dnd: load 0.52 · mem 40% (rule 1: ...)"
 * or "away: back at 3 (manual, 25 min left)"; the agent's words in lang, the show and the
 * status text as published. */
int presence_describe(void *state, const char *lang, char **ret);
/* Time since the feature started (the agent's start), for XEP-0012 last activity. */
usec_t presence_uptime(void *state);
