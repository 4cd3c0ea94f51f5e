/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int max_level = LOG_INFO;
static bool journal_prefix;

void log_setup(bool verbose)
{
        max_level = verbose ? LOG_DEBUG : LOG_INFO;
        /* One write() per line instead of one per fprintf() piece (stderr is unbuffered). */
        setvbuf(stderr, NULL, _IOLBF, 0);
        /* Under systemd, stderr goes to the journal: "<N>" prefixes carry the level. */
        journal_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        return max_level;
}

int log_internal(int level, int error, const char *fmt, ...)
{
        static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                            "warning", "notice", "info", "debug"};
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        /* %m in fmt refers to the error passed in, as in systemd. */
        errno = error;
        if (journal_prefix)
                fprintf(stderr, "<%d>", level);
        else
                fprintf(stderr, "adhocd[%s]: ", names[level & 7]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
        return -error;
}
