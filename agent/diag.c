/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>

int diags_add(struct diags *d, enum diag_level level, const char *file, unsigned line, unsigned col,
              const char *fmt, ...)
{
        struct diag *e;
        va_list ap;
        int r;

        e = array_grow((void **)&d->v, &d->n, sizeof(*d->v));
        if (!e)
                return -ENOMEM;
        e->level = level;
        e->file = strdup(strempty(file));
        e->line = line;
        e->col = col;
        va_start(ap, fmt);
        r = vasprintf(&e->msg, fmt, ap);
        va_end(ap);
        if (r < 0 || !e->file) {
                free(e->file);
                d->n--;
                return -ENOMEM;
        }
        if (level == DIAG_ERROR)
                d->n_errors++;
        return level == DIAG_ERROR ? -EINVAL : 0;
}

void diags_done(struct diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].file);
                free(d->v[i].msg);
        }
        free(d->v);
        *d = (struct diags){0};
}

void diags_print(const struct diags *d, FILE *f)
{
        for (size_t i = 0; i < d->n; i++)
                fprintf(f, "%s:%u:%u: %s: %s\n", d->v[i].file, d->v[i].line, d->v[i].col,
                        d->v[i].level == DIAG_ERROR ? "error" : "warning", d->v[i].msg);
}
