/* SPDX-License-Identifier: MIT */
/*
 * The last lines of a unit's journal, read with sd-journal. This is blocking file I/O on the
 * serving path (sd-journal has no asynchronous API), accepted because it is local and
 * bounded: the journal is opened with SD_JOURNAL_LOCAL_ONLY (or the configured directory),
 * matched on the unit (so the files' indexes find its entries without reading the others),
 * read backwards from the tail for at most n entries (journal_lines: at most 200), at most
 * DATA_MAX bytes of each MESSAGE are read (decompressed), and each line is cut to
 * SYSD_LINE_MAX bytes. journal_lines: 0 never opens it.
 *
 * The agent's user must be allowed to read the system journal (group systemd-journal, or adm
 * on some distributions): without it the list is empty and a note says so.
 */
#include <systemd/sd-journal.h>

#include "systemd-internal.h"

/* "MESSAGE=" and enough bytes for SYSD_LINE_MAX once control characters are replaced. */
#define DATA_MAX (8 + SYSD_LINE_MAX * 4)

static int add_unit_matches(sd_journal *j, const char *unit)
{
        _cleanup_free_ char *m1 = NULL, *m2 = NULL;
        int r;

        /* What the unit's processes logged, or what systemd logged about the unit. */
        if (asprintf(&m1, "_SYSTEMD_UNIT=%s", unit) < 0 || asprintf(&m2, "UNIT=%s", unit) < 0)
                return -ENOMEM;
        r = sd_journal_add_match(j, m1, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        if (r >= 0)
                r = sd_journal_add_match(j, m2, 0);
        return r;
}

static char *entry_line(sd_journal *j)
{
        const void *data;
        size_t len;
        _cleanup_free_ char *msg = NULL;

        if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8)
                return strdup("(no message)");
        if (len > DATA_MAX)
                len = DATA_MAX;
        msg = strndup((const char *)data + 8, len - 8);
        if (!msg)
                return NULL;
        return sysd_text_clean(msg, SYSD_LINE_MAX);
}

int sysd_journal_tail(const char *dir, const char *unit, unsigned n, char ***ret)
{
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        size_t count = 0;
        int r;

        if (n == 0) {
                *ret = NULL;
                return 0;
        }
        r = dir ? sd_journal_open_directory(&j, dir, 0)
                : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        r = sd_journal_set_data_threshold(j, DATA_MAX);
        if (r >= 0)
                r = add_unit_matches(j, unit);
        if (r < 0)
                return r;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        /* Backwards: newest first, then reversed below. */
        while (count < n && (r = sd_journal_previous(j)) > 0) {
                char *line = entry_line(j);

                if (!line || strv_consume(&lines, line) < 0)
                        return -ENOMEM;
                count++;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < count / 2; i++) {
                char *t = lines[i];

                lines[i] = lines[count - 1 - i];
                lines[count - 1 - i] = t;
        }
        *ret = TAKE_PTR(lines);
        return 0;
}
