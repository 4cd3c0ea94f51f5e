/* SPDX-License-Identifier: MIT */
#pragma once

#include "feature.h"

/* The systemd services feature ("plugins: {systemd: ...}"). */
extern const struct feature_ops systemd_feature;
