/* SPDX-License-Identifier: MIT */
/*
 * Replies and errors as the requester sees them. Each value of a reply becomes a field named
 * after its output argument: basic values as text, arrays of basic values one value per
 * element, dicts one field per entry, the first array of structs a <reported>/<item> table,
 * anything else a readable text ([1, 2], {"a": 1}, ("x", 2)). Remote text is cleaned of
 * control characters (XML cannot carry them) and long replies are cut with a warning.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "dbus.h"

/* ---- Text ---- */

struct text {
        char *s;
        size_t len, cap;
        bool cut; /* stopped at DBUS_RESULT_MAX_TEXT */
};

static void text_done(struct text *t)
{
        free(t->s);
        *t = (struct text){0};
}

static int text_add(struct text *t, const char *s, size_t len)
{
        if (t->cut)
                return 0;
        if (t->len + len > DBUS_RESULT_MAX_TEXT) {
                /* Cut at a character boundary, then say so. */
                len = DBUS_RESULT_MAX_TEXT - t->len;
                while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
                        len--;
                t->cut = true;
        }
        if (t->len + len + sizeof("…") > t->cap) {
                size_t cap = (t->len + len + sizeof("…")) * 2;
                char *n = realloc(t->s, cap);

                if (!n)
                        return -ENOMEM;
                t->s = n;
                t->cap = cap;
        }
        memcpy(t->s + t->len, s, len);
        t->len += len;
        if (t->cut) {
                memcpy(t->s + t->len, "…", sizeof("…") - 1);
                t->len += sizeof("…") - 1;
        }
        t->s[t->len] = '\0';
        return 0;
}

/* Adds remote text: control characters other than tab and newline become U+FFFD. */
static int text_add_clean(struct text *t, const char *s)
{
        int r;

        while (*s) {
                size_t n = 0;

                while (s[n] && ((unsigned char)s[n] >= 0x20 || s[n] == '\t' || s[n] == '\n'))
                        n++;
                r = text_add(t, s, n);
                if (r < 0)
                        return r;
                s += n;
                if (!*s)
                        break;
                r = text_add(t, "\xEF\xBF\xBD", 3);
                if (r < 0)
                        return r;
                s++;
        }
        return 0;
}

static int text_addf(struct text *t, const char *fmt, ...) _printf_(2, 3);
static int text_addf(struct text *t, const char *fmt, ...)
{
        char buf[64];
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (k < 0 || (size_t)k >= sizeof(buf))
                return -EINVAL;
        return text_add(t, buf, (size_t)k);
}

/* Text that must not be empty for the engine (a NULL would end a strv). */
static char *text_steal(struct text *t)
{
        char *s = t->s ? t->s : strdup("");

        *t = (struct text){0};
        return s;
}

static char *clean_strdup(const char *s)
{
        struct text t = {0};

        if (text_add_clean(&t, s) < 0) {
                text_done(&t);
                return NULL;
        }
        return text_steal(&t);
}

/* ---- Values ---- */

struct render {
        sd_bus_message *m;
        struct form_result *form;
        char *const *columns;
        const char *lang; /* of the labels and texts the agent makes up */
        size_t items;     /* elements, entries and rows shown */
        bool truncated;
        bool have_table;
};

static bool render_take_item(struct render *r)
{
        if (r->items >= DBUS_RESULT_MAX_ITEMS) {
                r->truncated = true;
                return false;
        }
        r->items++;
        return true;
}

static int format_double(struct text *t, double d)
{
        char buf[64];

        /* The shortest text that reads back as the same double. */
        for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        return text_add(t, buf, strlen(buf));
}

static int render_quoted(struct text *t, const char *s)
{
        int r = text_add(t, "\"", 1);

        for (; r >= 0 && *s; s++) {
                if (*s == '"' || *s == '\\')
                        r = text_addf(t, "\\%c", *s);
                else if (*s == '\n')
                        r = text_add(t, "\\n", 2);
                else if ((unsigned char)*s < 0x20)
                        r = text_addf(t, "\\x%02x", (unsigned)(unsigned char)*s);
                else
                        r = text_add(t, s, 1);
        }
        return r < 0 ? r : text_add(t, "\"", 1);
}

/* Reads the next basic value; strings are quoted inside containers. */
static int render_basic(struct render *r, char type, bool quoted, struct text *t)
{
        union dbus_basic v;
        int k;

        k = sd_bus_message_read_basic(r->m, type, &v);
        if (k < 0)
                return k;
        switch (type) {
        case 'y':
                return text_addf(t, "%u", (unsigned)v.y);
        case 'b':
                return text_addf(t, "%s", v.b ? "true" : "false");
        case 'n':
                return text_addf(t, "%d", (int)v.n);
        case 'q':
                return text_addf(t, "%u", (unsigned)v.q);
        case 'i':
                return text_addf(t, "%" PRId32, v.i);
        case 'u':
                return text_addf(t, "%" PRIu32, v.u);
        case 'x':
                return text_addf(t, "%" PRId64, v.x);
        case 't':
                return text_addf(t, "%" PRIu64, v.t);
        case 'd':
                return format_double(t, v.d);
        case 'h': {
                const char *fd = l10n(r->lang, "(file descriptor)");

                return text_add(t, fd, strlen(fd));
        }
        case 's':
        case 'o':
        case 'g':
                return quoted ? render_quoted(t, v.s) : text_add_clean(t, v.s);
        default:
                return -EBADMSG;
        }
}

static int render_text(struct render *r, bool quoted, struct text *t);

/* The elements of the container just entered, between open and close. */
static int render_elements(struct render *r, const char *open, const char *close, bool entries,
                           struct text *t)
{
        char type;
        const char *contents;
        bool first = true;
        int k;

        k = text_add(t, open, strlen(open));
        while (k >= 0 && (k = sd_bus_message_peek_type(r->m, &type, &contents)) > 0) {
                if (!first)
                        k = text_add(t, ", ", 2);
                first = false;
                if (k >= 0 && entries) {
                        k = sd_bus_message_enter_container(r->m, 'e', contents);
                        if (k >= 0)
                                k = render_text(r, true, t);
                        if (k >= 0)
                                k = text_add(t, ": ", 2);
                        if (k >= 0)
                                k = render_text(r, true, t);
                        if (k >= 0)
                                k = sd_bus_message_exit_container(r->m);
                } else if (k >= 0) {
                        k = render_text(r, true, t);
                }
        }
        if (k < 0)
                return k;
        return text_add(t, close, strlen(close));
}

/* Reads the next value of any type as readable text. */
static int render_text(struct render *r, bool quoted, struct text *t)
{
        const char *contents;
        char type;
        int k;

        k = sd_bus_message_peek_type(r->m, &type, &contents);
        if (k <= 0)
                return k < 0 ? k : -EBADMSG;
        if (dbus_type_is_basic(type))
                return render_basic(r, type, quoted, t);
        k = sd_bus_message_enter_container(r->m, type, contents);
        if (k < 0)
                return k;
        switch (type) {
        case 'v':
                k = render_text(r, quoted, t);
                break;
        case 'a':
                if (contents[0] == '{')
                        k = render_elements(r, "{", "}", true, t);
                else
                        k = render_elements(r, "[", "]", false, t);
                break;
        case 'r':
                k = render_elements(r, "(", ")", false, t);
                break;
        default:
                k = -EBADMSG;
        }
        if (k < 0)
                return k;
        return sd_bus_message_exit_container(r->m);
}

/* Reads the next value into a new string: basic values (also inside variants) bare. */
static int render_value(struct render *r, char **ret)
{
        struct text t = {0};
        const char *contents;
        char type;
        int k, entered = 0;

        /* Unwrap variants so that a variant holding a string shows the bare string. */
        while ((k = sd_bus_message_peek_type(r->m, &type, &contents)) > 0 && type == 'v') {
                k = sd_bus_message_enter_container(r->m, 'v', contents);
                if (k < 0)
                        return k;
                entered++;
        }
        if (k >= 0)
                k = render_text(r, false, &t);
        while (k >= 0 && entered-- > 0)
                k = sd_bus_message_exit_container(r->m);
        if (k < 0) {
                text_done(&t);
                return k;
        }
        *ret = text_steal(&t);
        return *ret ? 0 : -ENOMEM;
}

static int add_field(struct render *r, const char *var, const char *label,
                     enum form_field_type type, char **values)
{
        return form_result_add_field(r->form, var, label, type, values);
}

static int add_single(struct render *r, const char *var, const char *label)
{
        _cleanup_free_ char *v = NULL;
        int k;

        k = render_value(r, &v);
        if (k < 0)
                return k;
        return add_field(r, var, label, FORM_FIELD_TEXT_SINGLE, (char *[]){v, NULL});
}

/* An array already entered: each element one value of a text-multi field. */
static int add_list(struct render *r, const char *var, const char *label)
{
        _cleanup_strv_free_ char **values = calloc(1, sizeof(char *));
        int k;

        if (!values)
                return -ENOMEM;
        while ((k = sd_bus_message_at_end(r->m, false)) == 0) {
                char *v;

                if (!render_take_item(r)) {
                        k = sd_bus_message_skip(r->m, NULL);
                        if (k < 0)
                                return k;
                        continue;
                }
                k = render_value(r, &v);
                if (k >= 0)
                        k = strv_consume(&values, v);
                if (k < 0)
                        return k;
        }
        if (k < 0)
                return k;
        return add_field(r, var, label, FORM_FIELD_TEXT_MULTI, values);
}

/* A dict already entered: one field per entry, labelled with the key. */
static int add_dict(struct render *r, const char *var, const char *contents)
{
        _cleanup_free_ char *entry = strndup(contents + 1, strlen(contents) - 2);
        int k;

        if (!entry)
                return -ENOMEM;
        while ((k = sd_bus_message_at_end(r->m, false)) == 0) {
                _cleanup_free_ char *key = NULL, *value = NULL, *fvar = NULL;

                if (!render_take_item(r)) {
                        k = sd_bus_message_skip(r->m, NULL);
                        if (k < 0)
                                return k;
                        continue;
                }
                k = sd_bus_message_enter_container(r->m, 'e', entry);
                if (k >= 0)
                        k = render_value(r, &key);
                if (k >= 0)
                        k = render_value(r, &value);
                if (k >= 0)
                        k = sd_bus_message_exit_container(r->m);
                if (k < 0)
                        return k;
                if (asprintf(&fvar, "%s.%s", var, key) < 0)
                        return -ENOMEM;
                k = add_field(r, fvar, key, FORM_FIELD_TEXT_SINGLE, (char *[]){value, NULL});
                if (k < 0)
                        return k;
        }
        return k;
}

static size_t count_members(const char *contents)
{
        size_t n = 0, k;

        for (const char *p = contents + 1; *p && *p != ')'; p += k, n++)
                if (dbus_type_length(p, &k) < 0)
                        break;
        return n;
}

static int add_columns(struct render *r, const char *var, const char *label, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *cvar = NULL, *clabel = NULL;
                const char *given = NULL;
                int k;

                if (r->columns && i < strv_length(r->columns))
                        given = r->columns[i];
                if (asprintf(&cvar, "%s.%zu", var, i + 1) < 0)
                        return -ENOMEM;
                if (given)
                        clabel = strdup(given);
                else if (asprintf(&clabel, "%s %zu", label, i + 1) < 0)
                        clabel = NULL;
                if (!clabel)
                        return -ENOMEM;
                k = form_result_add_column(r->form, cvar, clabel);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* One struct of the table's array; inner is the struct's contents without parentheses. */
static int add_row(struct render *r, const char *inner, size_t n)
{
        _cleanup_strv_free_ char **cells = calloc(n + 1, sizeof(char *));
        int k;

        if (!cells)
                return -ENOMEM;
        k = sd_bus_message_enter_container(r->m, 'r', inner);
        for (size_t i = 0; k >= 0 && i < n; i++)
                k = render_value(r, &cells[i]);
        if (k < 0)
                return k;
        k = sd_bus_message_exit_container(r->m);
        if (k < 0)
                return k;
        return form_result_add_row(r->form, (const char *const *)cells);
}

/* An array of structs already entered: the reply's table. */
static int add_table(struct render *r, const char *var, const char *label, const char *contents)
{
        _cleanup_free_ char *inner = strndup(contents + 1, strlen(contents) - 2);
        size_t n = count_members(contents);
        int k;

        if (!inner)
                return -ENOMEM;
        r->have_table = true;
        k = add_columns(r, var, label, n);
        while (k >= 0 && (k = sd_bus_message_at_end(r->m, false)) == 0) {
                if (!render_take_item(r))
                        k = sd_bus_message_skip(r->m, NULL);
                else
                        k = add_row(r, inner, n);
        }
        return k;
}

static int add_array(struct render *r, const char *var, const char *label, const char *contents)
{
        int k;

        k = sd_bus_message_enter_container(r->m, 'a', contents);
        if (k < 0)
                return k;
        if (contents[0] == '{')
                k = add_dict(r, var, contents);
        else if (contents[0] == '(' && !r->have_table)
                k = add_table(r, var, label, contents);
        else
                k = add_list(r, var, label);
        if (k < 0)
                return k;
        return sd_bus_message_exit_container(r->m);
}

/* One value of the reply, at the top. */
static int add_top(struct render *r, const char *var, const char *label)
{
        const char *contents;
        char type;
        int k;

        k = sd_bus_message_peek_type(r->m, &type, &contents);
        if (k <= 0)
                return k < 0 ? k : -EBADMSG;
        if (type == 'v') {
                k = sd_bus_message_enter_container(r->m, 'v', contents);
                if (k >= 0)
                        k = add_top(r, var, label);
                if (k < 0)
                        return k;
                return sd_bus_message_exit_container(r->m);
        }
        if (type == 'a')
                return add_array(r, var, label, contents);
        return add_single(r, var, label);
}

int dbus_result_from_reply(sd_bus_message *reply, char *const *names, char *const *columns,
                           const char *lang, struct action_result *res)
{
        _cleanup_(form_result_freep) struct form_result *form = NULL;
        const char *sig = sd_bus_message_get_signature(reply, true);
        size_t n_values = 0, n_names = strv_length(names);
        struct render r = {.m = reply, .columns = columns, .lang = lang};
        int k;

        if (!sig || dbus_signature_check(sig, &n_values, &(const char *){NULL}) == -EINVAL)
                return -EBADMSG;
        if (n_values == 0)
                return 0;
        form = r.form = form_result_new();
        if (!form)
                return -ENOMEM;
        k = sd_bus_message_rewind(reply, true);
        for (size_t i = 0; k >= 0 && i < n_values; i++) {
                _cleanup_free_ char *var = NULL, *label = NULL;

                if (i < n_names && !isempty(names[i])) {
                        var = clean_strdup(names[i]);
                        label = clean_strdup(names[i]);
                } else if (n_values == 1) {
                        var = strdup("result");
                        label = strdup(l10n(lang, "Result"));
                } else if (asprintf(&var, "result%zu", i + 1) < 0 ||
                           asprintf(&label, l10n(lang, "Result %zu"), i + 1) < 0) {
                        var = label = NULL;
                }
                if (!var || !label)
                        return -ENOMEM;
                k = add_top(&r, var, label);
        }
        if (k < 0)
                return k;
        if (r.truncated) {
                k = action_result_add_note(
                    res, NOTE_WARN,
                    l10n(lang, "The reply is long: only its first %d items are shown."),
                    DBUS_RESULT_MAX_ITEMS);
                if (k < 0)
                        return k;
        }
        res->form = TAKE_PTR(form);
        return 0;
}

/* ---- Errors ---- */

static const char *format_timeout(usec_t t, char *buf, size_t size)
{
        if (t % USEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", t / USEC_PER_SEC);
        else
                snprintf(buf, size, "%" PRIu64 "ms", t / USEC_PER_MSEC);
        return buf;
}

/* The first sentence for well-known errors, in lang, or NULL. */
static char *explain_error(const struct dbus_config *c, const char *lang, const char *name,
                           const char *message)
{
        const bool method = c->kind == DBUS_CALL_METHOD;
        char bus[256], timeout[32];
        char *s = NULL;
        int k = 0;

        dbus_bus_describe(c->bus, lang, bus, sizeof(bus));
        if (streq(name, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            streq(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                k = asprintf(&s, l10n(lang, "%s is not running on %s."), c->destination, bus);
        else if ((streq(name, SD_BUS_ERROR_NO_REPLY) &&
                  streq_ptr(message, "Method call timed out")) ||
                 streq(name, SD_BUS_ERROR_TIMEOUT))
                k = asprintf(&s, l10n(lang, "%s did not answer within %s."), c->destination,
                             format_timeout(c->timeout, timeout, sizeof(timeout)));
        else if (streq(name, SD_BUS_ERROR_NO_REPLY))
                k = asprintf(&s, l10n(lang, "%s went away without answering."), c->destination);
        else if (streq(name, SD_BUS_ERROR_ACCESS_DENIED))
                k = asprintf(&s,
                             l10n(lang, "The D-Bus policy of %s does not let adhocd's user call "
                                        "%s.%s; the machine's administrator must allow it in the "
                                        "bus configuration (/etc/dbus-1/system.d/)."),
                             bus, c->interface, c->member);
        else if (streq(name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
                 streq(name, "org.freedesktop.PolicyKit1.Error.NotAuthorized"))
                k = asprintf(&s,
                             l10n(lang, "%s asks for an authorization that adhocd cannot give "
                                        "interactively; the machine's administrator must grant "
                                        "this action to adhocd's user with a polkit rule "
                                        "(/etc/polkit-1/rules.d/)."),
                             c->destination);
        else if (streq(name, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                 streq(name, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                 streq(name, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
                 streq(name, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                k = asprintf(&s,
                             method ? l10n(lang, "%s has no method %s.%s at %s (another version "
                                                 "of the program?).")
                                    : l10n(lang, "%s has no property %s.%s at %s (another "
                                                 "version of the program?)."),
                             c->destination, c->interface, c->member, c->path);
        else if (streq(name, SD_BUS_ERROR_INVALID_ARGS))
                k = asprintf(&s, l10n(lang, "%s refused the values it was given."), c->destination);
        else if (streq(name, SD_BUS_ERROR_PROPERTY_READ_ONLY))
                k = asprintf(&s, l10n(lang, "The property %s is read-only."), c->member);
        return k < 0 ? NULL : s;
}

int dbus_result_add_error(struct action_result *res, const struct dbus_config *c, const char *lang,
                          const char *name, const char *message)
{
        _cleanup_free_ char *intro = NULL, *clean_name = NULL, *clean_message = NULL;

        name = isempty(name) ? SD_BUS_ERROR_FAILED : name;
        intro = explain_error(c, lang, name, message);
        clean_name = clean_strdup(name);
        clean_message = clean_strdup(strempty(message));
        if (!clean_name || !clean_message)
                return -ENOMEM;
        /* The error's name and message are D-Bus's: shown as they come. */
        if (isempty(clean_message))
                return action_result_add_note(res, NOTE_ERROR, "%s%s%s", strempty(intro),
                                              intro ? " " : "", clean_name);
        return action_result_add_note(res, NOTE_ERROR, "%s%s%s: %s", strempty(intro),
                                      intro ? " " : "", clean_name, clean_message);
}

int dbus_result_add_unavailable(struct action_result *res, const struct dbus_config *c,
                                const char *lang)
{
        char bus[256];

        return action_result_add_note(res, NOTE_ERROR,
                                      l10n(lang, "bus unavailable: adhocd is not connected to %s "
                                                 "right now and keeps trying; try again shortly."),
                                      dbus_bus_describe(c->bus, lang, bus, sizeof(bus)));
}
