/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include "util.h"

/* Diagnostics collected by the pure parsers: each carries FILE:LINE:COL. */
enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
        enum diag_level level;
        char *file;
        unsigned line, col; /* 1-based; 0 when unknown */
        char *msg;
};

struct diags {
        struct diag *v;
        size_t n;
        size_t n_errors;
};

/* Combines the result so far r with the next step's k, for parsers that go on after an error
 * to report them all: keeps the first error, but -ENOMEM wins over everything. */
static inline int diag_merge_error(int r, int k)
{
        if (r == -ENOMEM || k >= 0)
                return r;
        return r < 0 && k != -ENOMEM ? r : k;
}

/* Appends a diagnostic; returns -EINVAL for errors and 0 for warnings (so it can be returned). */
int diags_add(struct diags *d, enum diag_level level, const char *file, unsigned line, unsigned col,
              const char *fmt, ...) _printf_(6, 7);
void diags_done(struct diags *d);
/* Prints "FILE:LINE:COL: error: message" lines. */
void diags_print(const struct diags *d, FILE *f);
