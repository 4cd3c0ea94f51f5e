/* SPDX-License-Identifier: MIT */
#pragma once

#include "feature.h"

/*
 * The media remote: MPRIS players on the session bus controlled through ad-hoc commands, made
 * for phones. Configured by "plugins: {mpris: ...}" in the main file.
 */

/* The feature descriptor, listed in builtin_features[]. */
extern const struct feature_ops mpris_feature;
