/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include <stdio.h>

#include "log.h"

void audit_quote(FILE *f, const char *v)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)strempty(v); *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < ' ' || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* Writes v so that a log reader can split fields on spaces: quoted when it holds anything but
 * plain characters, with control characters escaped so one event stays one line. */
static void audit_put(FILE *f, const char *key, const char *v)
{
        bool plain = !isempty(v);

        for (const char *p = strempty(v); *p && plain; p++)
                if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == '=')
                        plain = false;
        fprintf(f, " %s=", key);
        if (plain)
                fputs(v, f);
        else
                audit_quote(f, v);
}

char *audit_format(const struct audit_event *e)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        fputs("audit:", f);
        audit_put(f, "from", e->requester);
        audit_put(f, "node", e->node);
        audit_put(f, "stage", e->stage);
        audit_put(f, "outcome", e->outcome);
        fprintf(f, " duration=%llu.%03llums", (unsigned long long)(e->duration / 1000),
                (unsigned long long)(e->duration % 1000));
        if (e->detail)
                audit_put(f, "detail", e->detail);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

void audit_log(const struct audit_event *e)
{
        _cleanup_free_ char *line = audit_format(e);

        if (line)
                log_info("%s", line);
        else
                log_error("audit: out of memory formatting an audit event for %s",
                          strempty(e->node));
}
