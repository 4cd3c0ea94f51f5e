/* SPDX-License-Identifier: MIT */
/*
 * What the requester sees of a finished program: stdout as a note, a text-multi field or a
 * table (TSV with a header line), or an error note with the status and the tail of stderr.
 * Program output is arbitrary bytes; it is made valid for XML here, without ever growing.
 */
#include <signal.h>
#include <stdio.h>

#include "audit.h"
#include "exec.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. Refuses overlong forms,
 * surrogates, code points above U+10FFFF and U+FFFE/U+FFFF, which XML does not allow. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
        uint32_t cp;
        size_t len;

        if (s[0] < 0xc2 || s[0] > 0xf4)
                return 0;
        len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
        if (len > n)
                return 0;
        cp = s[0] & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
                return 0;
        return len;
}

char *exec_text_sanitize(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;
        char *out = malloc(len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t k;

                if (p[i] == '\r') {
                        i++;
                } else if (p[i] == '\t' || p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f)) {
                        *o++ = (char)p[i++];
                } else if (p[i] >= 0x80 && (k = utf8_valid_len(p + i, len - i)) > 0) {
                        memcpy(o, p + i, k);
                        o += k;
                        i += k;
                } else {
                        *o++ = '?';
                        i++;
                }
        }
        *o = 0;
        return out;
}

static void strip_trailing_newlines(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && s[n - 1] == '\n')
                s[--n] = 0;
}

/* The last EXEC_STDERR_TAIL bytes of stderr, from a line start when possible. */
static char *stderr_tail(const struct exec_outcome *o)
{
        const char *start = o->err;
        size_t len = o->err_len;
        bool cut = o->err_truncated;
        char *text, *r;

        if (len > EXEC_STDERR_TAIL) {
                start += len - EXEC_STDERR_TAIL;
                len = EXEC_STDERR_TAIL;
                cut = true;
        }
        if (cut) {
                const char *nl = memchr(start, '\n', len);

                if (nl && (size_t)(nl - start) + 1 < len) {
                        len -= (size_t)(nl - start) + 1;
                        start = nl + 1;
                }
                while (len > 0 && ((unsigned char)*start & 0xc0) == 0x80) {
                        start++; /* a cut UTF-8 sequence */
                        len--;
                }
        }
        text = exec_text_sanitize(start, len);
        if (!text)
                return NULL;
        strip_trailing_newlines(text);
        if (!cut || isempty(text))
                return text;
        r = NULL;
        if (asprintf(&r, "\xe2\x80\xa6%s", text) < 0)
                r = NULL;
        free(text);
        return r;
}

char *exec_format_duration(usec_t u)
{
        char *s;
        int k;

        if (u % USEC_PER_SEC == 0)
                k = asprintf(&s, "%llu s", (unsigned long long)(u / USEC_PER_SEC));
        else
                k = asprintf(&s, "%llu ms",
                             (unsigned long long)((u + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
        return k < 0 ? NULL : s;
}

static char *signal_name(int sig)
{
        const char *abbrev = sigabbrev_np(sig);
        char *s;

        if (abbrev ? asprintf(&s, "SIG%s", abbrev) < 0 : asprintf(&s, "%d", sig) < 0)
                return NULL;
        return s;
}

static int add_start_error(struct action_result *res, const struct exec_outcome *o, const char *cwd)
{
        const struct exec_child_error *e = o->start_error;
        const char *why = strerror(e->error), *lang = o->lang;

        switch ((enum exec_stage)e->stage) {
        case EXEC_STAGE_CHDIR:
                return action_result_add_note(res, NOTE_ERROR,
                                              l10n(lang, "cannot change directory to %s: %s"),
                                              strempty(cwd), why);
        case EXEC_STAGE_IDS:
                return action_result_add_note(res, NOTE_ERROR,
                                              l10n(lang, "cannot switch to the configured user or "
                                                         "group to run %s: %s"),
                                              o->path, why);
        case EXEC_STAGE_SETUP:
                return action_result_add_note(res, NOTE_ERROR,
                                              l10n(lang, "cannot set up a process for %s: %s"),
                                              o->path, why);
        case EXEC_STAGE_EXEC:
                break;
        }
        return action_result_add_note(res, NOTE_ERROR, l10n(lang, "cannot execute %s: %s"), o->path,
                                      why);
}

/* "exit status 3", "killed by signal SIGSEGV" or the timeout, then stderr's tail. */
static int add_failure(struct action_result *res, const struct exec_outcome *o)
{
        _cleanup_free_ char *tail = stderr_tail(o), *what = NULL, *sig = NULL;
        int k;

        if (!tail)
                return -ENOMEM;
        if (o->timed_out) {
                _cleanup_free_ char *d = exec_format_duration(o->timeout);

                k = d ? asprintf(&what,
                                 l10n(o->lang, "timed out after %s; the process group was killed"),
                                 d)
                      : -1;
        } else if (o->exited) {
                k = asprintf(&what, l10n(o->lang, "exit status %d"), o->status);
        } else {
                sig = signal_name(o->status);
                k = sig ? asprintf(&what, l10n(o->lang, "killed by signal %s"), sig) : -1;
        }
        if (k < 0) {
                what = NULL; /* undefined after a failed asprintf() */
                return -ENOMEM;
        }
        if (isempty(tail))
                return action_result_add_note(res, NOTE_ERROR, "%s", what);
        return action_result_add_note(res, NOTE_ERROR, "%s\n%s", what, tail);
}

static int add_note_output(struct action_result *res, const char *text, bool truncated,
                           const char *lang)
{
        if (truncated)
                return action_result_add_note(res, NOTE_INFO, "%s\n" EXEC_TRUNCATED_MARKER, text);
        if (isempty(text))
                return action_result_add_note(res, NOTE_INFO, "%s", l10n(lang, "Done (exit 0)."));
        return action_result_add_note(res, NOTE_INFO, "%s", text);
}

/* Splits at '\n' in place; the strings point into text. */
static char **split_lines(char *text)
{
        size_t n = 1;
        char **l;

        for (const char *p = text; *p; p++)
                n += *p == '\n';
        l = calloc(n + 2, sizeof(char *)); /* room for a marker line */
        if (!l)
                return NULL;
        n = 0;
        if (*text)
                l[n++] = text;
        for (char *p = text; *p; p++)
                if (*p == '\n') {
                        *p = 0;
                        l[n++] = p + 1;
                }
        return l;
}

static int add_text_output(struct action_result *res, char *text, bool truncated, const char *lang)
{
        _cleanup_free_ char **lines = split_lines(text);
        size_t n;
        int r;

        if (!lines)
                return -ENOMEM;
        n = strv_length(lines);
        if (truncated)
                lines[n++] = (char *)EXEC_TRUNCATED_MARKER; /* split_lines left room for one */
        res->form = form_result_new();
        if (!res->form)
                return -ENOMEM;
        r = form_result_add_field(res->form, "output", l10n(lang, "Output"), FORM_FIELD_TEXT_MULTI,
                                  lines);
        if (r < 0 || n > 0)
                return r;
        return action_result_add_note(res, NOTE_INFO, "%s", l10n(lang, "Done (exit 0)."));
}

static size_t count_cells(const char *line)
{
        size_t n = 1;

        for (; *line; line++)
                n += *line == '\t';
        return n;
}

/* Splits at '\t' in place into cells (at most n). */
static void split_cells(char *line, const char **cells, size_t n)
{
        size_t i = 0;

        cells[i++] = line;
        for (char *p = line; *p && i < n; p++)
                if (*p == '\t') {
                        *p = 0;
                        cells[i++] = p + 1;
                }
}

static int table_header(struct form_result *f, char *line)
{
        size_t n = count_cells(line);
        _cleanup_free_ const char **cells = calloc(n, sizeof(char *));

        if (!cells)
                return -ENOMEM;
        split_cells(line, cells, n);
        for (size_t i = 0; i < n; i++) {
                if (isempty(cells[i]))
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (streq(cells[i], cells[j]))
                                return -EINVAL;
                if (form_result_add_column(f, cells[i], cells[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Returns -EINVAL with *ret_line set (1-based) for a malformed line. */
static int table_fill(struct form_result *f, char **lines, size_t *ret_line, size_t *ret_cells)
{
        _cleanup_free_ const char **cells = NULL;
        int r;

        *ret_line = 1;
        r = table_header(f, lines[0]);
        if (r < 0)
                return r;
        cells = calloc(f->n_columns, sizeof(char *));
        if (!cells)
                return -ENOMEM;
        for (size_t i = 1; lines[i]; i++) {
                if (isempty(lines[i]))
                        continue;
                *ret_line = i + 1;
                *ret_cells = count_cells(lines[i]);
                if (*ret_cells != f->n_columns)
                        return -EINVAL;
                split_cells(lines[i], cells, f->n_columns);
                if (form_result_add_row(f, cells) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int add_table_output(struct action_result *res, char *text, bool truncated, uint64_t out_len,
                            const char *lang)
{
        _cleanup_free_ char **lines = NULL;
        _cleanup_(form_result_freep) struct form_result *f = NULL;
        size_t n, line = 0, cells = 0;
        int r;

        lines = split_lines(text);
        if (!lines)
                return -ENOMEM;
        n = strv_length(lines);
        if (truncated && n > 0)
                lines[--n] = NULL; /* the last line may be cut */
        if (n == 0)
                return action_result_add_note(
                    res, NOTE_ERROR, "%s",
                    l10n(lang, "table output: the program printed no header line"));
        f = form_result_new();
        if (!f)
                return -ENOMEM;
        r = table_fill(f, lines, &line, &cells);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && line == 1)
                return action_result_add_note(res, NOTE_ERROR, "%s",
                                              l10n(lang, "table output: the header line has an "
                                                         "empty or repeated column name"));
        if (r < 0)
                return action_result_add_note(res, NOTE_ERROR,
                                              l10n(lang, "table output: line %zu has %zu cells, "
                                                         "the header has %zu"),
                                              line, cells, f->n_columns);
        if (f->n_rows == 0)
                r = action_result_add_note(res, NOTE_INFO, "%s",
                                           l10n(lang, "Done (exit 0); the table is empty."));
        if (r >= 0 && truncated)
                r = action_result_add_note(
                    res, NOTE_WARN,
                    l10n(lang,
                         "The output was cut after %llu bytes %s; the table may be incomplete."),
                    (unsigned long long)out_len, EXEC_TRUNCATED_MARKER);
        res->form = TAKE_PTR(f);
        return r;
}

static int add_success(struct action_result *res, const struct exec_outcome *o,
                       enum exec_output mode)
{
        _cleanup_free_ char *text = exec_text_sanitize(o->out, o->out_len);

        if (!text)
                return -ENOMEM;
        strip_trailing_newlines(text);
        switch (mode) {
        case EXEC_OUTPUT_NOTE:
                return add_note_output(res, text, o->out_truncated, o->lang);
        case EXEC_OUTPUT_TEXT:
                return add_text_output(res, text, o->out_truncated, o->lang);
        case EXEC_OUTPUT_TABLE:
                return add_table_output(res, text, o->out_truncated, o->out_len, o->lang);
        }
        return -EINVAL;
}

int exec_build_result(const struct exec_outcome *o, enum exec_output mode, const char *cwd,
                      struct action_result **ret)
{
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        int r;

        if (!res)
                return -ENOMEM;
        if (o->start_error)
                r = add_start_error(res, o, cwd);
        else if (o->timed_out || !o->exited || o->status != 0)
                r = add_failure(res, o);
        else
                r = add_success(res, o, mode);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 0;
}

static void put_result_form(FILE *f, const struct form_result *form)
{
        for (size_t i = 0; i < form->n_fields; i++)
                STRV_FOREACH (v, form->fields[i].values)
                        fprintf(f, "\n%s", *v);
        if (form->n_columns == 0)
                return;
        fputc('\n', f);
        for (size_t i = 0; i < form->n_columns; i++)
                fprintf(f, "%s%s", i > 0 ? "\t" : "", strempty(form->columns[i].label));
        for (size_t r = 0; r < form->n_rows; r++) {
                fputc('\n', f);
                for (size_t i = 0; i < form->n_columns; i++)
                        fprintf(f, "%s%s", i > 0 ? "\t" : "", strempty(form->rows[r][i]));
        }
}

char *exec_result_to_text(const char *node, const struct action_result *r)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        fprintf(f, "[%s]", node);
        for (size_t i = 0; i < r->n_notes; i++)
                fprintf(f, "%s%s", i == 0 ? " " : "\n", r->notes[i].text);
        if (r->form)
                put_result_form(f, r->form);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

char *exec_status_string(const struct exec_outcome *o)
{
        _cleanup_free_ char *sig = NULL;
        char *s;
        int k;

        if (o->start_error) {
                const char *name = strerrorname_np(o->start_error->error);

                k = name ? asprintf(&s, "not started (%s)", name)
                         : asprintf(&s, "not started (errno %d)", o->start_error->error);
        } else if (o->exited) {
                k = asprintf(&s, "exit %d", o->status);
        } else {
                sig = signal_name(o->status);
                k = sig ? asprintf(&s, "signal %s", sig) : -1;
        }
        return k < 0 ? NULL : s;
}

char *exec_argv_quote(char *const *argv)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        for (size_t i = 0; argv && argv[i]; i++) {
                if (i > 0)
                        fputc(' ', f);
                audit_quote(f, argv[i]);
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
