/* SPDX-License-Identifier: MIT */
/*
 * The "dbus_expose:" action: one command entry stands for one command per listed method of a
 * D-Bus interface, each with a form built from the method's introspected input arguments.
 *
 *   - node: player
 *     name: Media player
 *     allow: {groups: [flatmates]}
 *     dbus_expose:
 *       bus: session                  # session (the default) | system | a D-Bus address
 *       destination: org.mpris.MediaPlayer2.vlc
 *       path: /org/mpris/MediaPlayer2
 *       interface: org.mpris.MediaPlayer2.Player
 *       methods: [PlayPause, Next, Seek]   # required: the only methods that can be called
 *       timeout: 25s                  # the default
 *
 * gives the commands player/PlayPause ("Media player: PlayPause"), player/Next and player/Seek,
 * with the entry's allow:, deny: and confirm:. `methods: ["*"]`, written out, exposes every
 * method of the interface: loading does no I/O, so those are only known once the service runs;
 * the entry then provides its commands at run time (action_ops.provide_find/provide_list), one
 * made for each method met, kept as long as the policy and bounded in number.
 *
 * Loading only records what to watch. The first time a generated command is looked at (disco,
 * execution), the destination is watched on its bus (NameOwnerChanged, then GetNameOwner) and
 * introspected through the cache of dbus-bus.c; a command is available while its destination
 * has an owner whose introspection data lists the method with arguments a form can carry:
 *
 *   y n q i u x t d   text-single, XEP-0122 datatype and range of the type
 *   b                 boolean
 *   s g               text-single (g is checked as a signature when the command runs)
 *   o                 text-single, with a regex for object paths
 *   aX (X basic)      text-multi, one element per line, each checked as X
 *
 * Other types (v, structs, dicts, nested arrays, h) hide the method, with a warning. So commands
 * appear in disco shortly after their service, and disappear with it.
 *
 * The form a session is shown carries the method's signature and the fields that hold its
 * arguments in hidden fields; the session keeps that form, so the call is built from what the
 * requester was offered, and refused if the method changed in between.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dbus-expose.h"
#include "log.h"
#include "plugins.h"

#define VAR_SIGNATURE "dbus.signature"
#define VAR_ARGS      "dbus.args"
#define VAR_MAX       64
/* The whole value: "/" or "/" followed by elements of [A-Za-z0-9_] separated by "/". */
#define OBJECT_PATH_REGEX "/|(/[A-Za-z0-9_]+)+"

static const char *const expose_keys[] = {
    "bus", "destination", "path", "interface", "methods", "timeout", NULL,
};

/* ---- Configuration ---- */

static void expose_config_free(struct expose_config *c)
{
        if (!c)
                return;
        free(c->bus);
        free(c->destination);
        free(c->path);
        free(c->interface);
        strv_free(c->methods);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct expose_config *, expose_config_free)

/* "*" on its own, as a scalar or a one-item list: every method the interface has. */
static bool methods_are_all(const struct ynode *n)
{
        if (n->type == YNODE_SEQ && n->n == 1)
                n = n->items[0];
        return n->type == YNODE_SCALAR && streq(n->scalar, "*");
}

static int parse_methods(const struct ynode *map, struct expose_config *c, struct diags *d)
{
        const struct ynode *n = ynode_get(map, "methods");
        int r = 0;

        if (!n)
                return ynode_error(map, d,
                                   "dbus_expose: needs 'methods:', the list of the methods that "
                                   "may be called, or \"*\" for all of them");
        if (methods_are_all(n))
                return 0;
        if (ynode_expect(n, YNODE_SEQ, d) < 0)
                return -EINVAL;
        if (n->n == 0)
                return ynode_error(n, d, "methods: lists no method");
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i];
                _cleanup_free_ char *s = NULL;

                if (ynode_string(m, &s, d) < 0) {
                        r = -EINVAL;
                        continue;
                }
                if (streq(s, "*")) {
                        r = ynode_error(m, d,
                                        "\"*\" stands for every method: write it alone "
                                        "(methods: [\"*\"]), not among names");
                        continue;
                }
                if (sd_bus_member_name_is_valid(s) <= 0) {
                        r = ynode_error(m, d, "'%s' is not a valid D-Bus method name", s);
                        continue;
                }
                if (strv_contains(c->methods, s)) {
                        r = ynode_error(m, d, "method '%s' is listed twice", s);
                        continue;
                }
                if (strv_consume(&c->methods, TAKE_PTR(s)) < 0)
                        return -ENOMEM;
        }
        return r;
}

static int expose_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                        struct diags *d)
{
        _cleanup_(expose_config_freep) struct expose_config *c = NULL;
        int r = 0;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        if (form)
                return ynode_error(n, d,
                                   "dbus_expose: builds the form of each command from the "
                                   "method's arguments; remove the entry's form:");
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (ynode_check_keys(n, expose_keys, d) < 0)
                r = -EINVAL;
        if (dbus_parse_bus(n, "session", &c->bus, d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus_expose", "destination", sd_bus_service_name_is_valid,
                            "bus name", &c->destination, d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus_expose", "path", sd_bus_object_path_is_valid, "object path",
                            &c->path, d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus_expose", "interface", sd_bus_interface_name_is_valid,
                            "interface name", &c->interface, d) < 0)
                r = -EINVAL;
        if (dbus_parse_timeout(n, &c->timeout, d) < 0)
                r = -EINVAL;
        if (parse_methods(n, c, d) < 0)
                r = -EINVAL;
        if (r < 0)
                return d->n_errors > 0 ? -EINVAL : -ENOMEM;
        *ret_cfg = TAKE_PTR(c);
        return 0;
}

static void expose_free_cfg(void *cfg)
{
        expose_config_free(cfg);
}

/* ---- Forms from signatures ---- */

struct numeric_type {
        char code;
        enum form_datatype datatype;
        const char *min, *max; /* when the datatype does not imply the range */
};

static const struct numeric_type numeric_types[] = {
    {'y', FORM_DT_INTEGER, "0", "255"},
    {'n', FORM_DT_SHORT, "-32768", "32767"},
    {'q', FORM_DT_INTEGER, "0", "65535"},
    {'i', FORM_DT_INT, NULL, NULL},
    {'u', FORM_DT_UNSIGNED_INT, NULL, NULL},
    {'x', FORM_DT_LONG, NULL, NULL},
    {'t', FORM_DT_INTEGER, "0", "18446744073709551615"},
    {'d', FORM_DT_DOUBLE, NULL, NULL},
};

static const struct numeric_type *numeric_type(char code)
{
        for (size_t i = 0; i < ELEMENTSOF(numeric_types); i++)
                if (numeric_types[i].code == code)
                        return &numeric_types[i];
        return NULL;
}

/* Whether a single complete type can be entered in a form field. */
static bool type_is_exposable(const char *type, size_t len)
{
        if (len == 1)
                return dbus_type_is_basic(type[0]) && type[0] != 'h';
        return len == 2 && type[0] == 'a' && dbus_type_is_basic(type[1]) && type[1] != 'h';
}

/* Whether every argument of sig can be entered; *ret_bad is the first that cannot. */
static bool signature_is_exposable(const char *sig, char ret_bad[static DBUS_SIGNATURE_MAX + 1])
{
        size_t k;

        for (const char *p = sig; *p; p += k) {
                if (dbus_type_length(p, &k) < 0) {
                        snprintf(ret_bad, DBUS_SIGNATURE_MAX + 1, "%s", p);
                        return false;
                }
                if (!type_is_exposable(p, k)) {
                        snprintf(ret_bad, DBUS_SIGNATURE_MAX + 1, "%.*s", (int)k, p);
                        return false;
                }
        }
        return true;
}

static bool var_is_usable(const char *name, char *const *used)
{
        size_t n = strlen(name);

        if (n == 0 || n > VAR_MAX || strv_contains(used, name) || template_var_is_builtin(name))
                return false;
        /* No '.': "name..." would read as a multi-valued reference in a template. */
        for (const char *p = name; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p))
                        return false;
        return true;
}

/* The field names of the arguments: their introspected names when usable, else argN. */
static int arg_vars(const struct expose_method_info *m, size_t n_args, char ***ret)
{
        _cleanup_strv_free_ char **vars = calloc(1, sizeof(char *));

        if (!vars)
                return -ENOMEM;
        for (size_t i = 0; i < n_args; i++) {
                const char *name = i < strv_length(m->in_names) ? m->in_names[i] : "";
                char *v = NULL;

                if (var_is_usable(name, vars))
                        v = strdup(name);
                for (unsigned k = 0; !v || !var_is_usable(v, vars); k++) {
                        free(v);
                        if ((k == 0 ? asprintf(&v, "arg%zu", i + 1)
                                    : asprintf(&v, "arg%zu_%u", i + 1, k)) < 0)
                                return -ENOMEM;
                }
                if (strv_consume(&vars, v) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(vars);
        return 0;
}

static int set_text(struct i18n *t, const char *fmt, ...) _printf_(2, 3);
static int set_text(struct i18n *t, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return i18n_set_plain(t, s);
}

/* Fills the field for one argument of the single complete type (exposable). */
static int field_for_type(struct form_field *f, const char *type, size_t len, const char *lang)
{
        char code = type[len - 1];
        const struct numeric_type *num = numeric_type(code);
        bool array = len == 2;
        int r;

        f->type = array ? FORM_FIELD_TEXT_MULTI : FORM_FIELD_TEXT_SINGLE;
        if (code == 'b' && !array) {
                f->type = FORM_FIELD_BOOLEAN;
                return strv_extend(&f->defaults, "0");
        }
        if (code == 'b')
                f->validate.datatype = FORM_DT_BOOLEAN;
        if (num) {
                f->validate.datatype = num->datatype;
                f->validate.min = strdup_or_null(num->min);
                f->validate.max = strdup_or_null(num->max);
                if ((num->min && !f->validate.min) || (num->max && !f->validate.max))
                        return -ENOMEM;
        }
        if (code == 'o') {
                r = form_field_set_regex(f, OBJECT_PATH_REGEX);
                if (r < 0)
                        return r;
        }
        /* A number or a path has no empty value; a string, a signature or an array may. */
        f->required = !array && (num || code == 'o');
        if (array)
                return set_text(&f->desc, l10n(lang, "D-Bus type '%.*s': one element per line"),
                                (int)len, type);
        return set_text(&f->desc, l10n(lang, "D-Bus type '%.*s'"), (int)len, type);
}

static int add_hidden(struct form *form, const char *var, char **values)
{
        struct form_field *f;

        f = array_grow((void **)&form->fields, &form->n_fields, sizeof(*f));
        if (!f) {
                strv_free(values);
                return -ENOMEM;
        }
        f->type = FORM_FIELD_HIDDEN;
        f->defaults = values;
        f->var = strdup(var);
        return f->var ? 0 : -ENOMEM;
}

/* ---- Generated commands ---- */

static void expose_method_free(void *cfg)
{
        struct expose_method *m = cfg;

        if (!m)
                return;
        expose_target_unref(m->target);
        free(m->method);
        i18n_done(&m->name);
        free(m);
}

/* The method's description when its command can run now; warns once per version otherwise. */
static const struct expose_method_info *method_lookup(const struct expose_method *m)
{
        struct expose_target *t = m->target;
        const struct expose_method_info *info;
        char bad[DBUS_SIGNATURE_MAX + 1];

        expose_target_refresh(t);
        info = expose_target_find(t, m->method);
        if (info && signature_is_exposable(info->in_signature, bad))
                return info;
        if (t->owner != OWNER_PRESENT || !t->known || m->warned == t->generation + 1)
                return NULL;
        /* available() gets a const configuration; the note of a warning is the only change. */
        ((struct expose_method *)m)->warned = t->generation + 1;
        if (m->quiet)
                log_debug("dbus_expose: %s.%s is not offered: its arguments cannot be entered in a "
                          "form",
                          t->interface, m->method);
        else if (!info)
                log_warning("dbus_expose: %s has no method %s.%s at %s; its command stays hidden",
                            t->destination, t->interface, m->method, t->path);
        else
                log_warning("dbus_expose: %s.%s takes a '%s', which a form cannot carry; its "
                            "command stays hidden",
                            t->interface, m->method, bad);
        return NULL;
}

static bool expose_available(const void *cfg)
{
        return method_lookup(cfg) != NULL;
}

static int form_add_args(struct form *form, const struct expose_method_info *info, char **vars,
                         const char *lang)
{
        const char *p = info->in_signature;
        size_t k;
        int r;

        form->fields = calloc(strv_length(vars) + 2, sizeof(*form->fields));
        if (!form->fields)
                return -ENOMEM;
        for (size_t i = 0; vars[i]; i++, p += k) {
                struct form_field *f = &form->fields[form->n_fields++];
                const char *name = i < strv_length(info->in_names) ? info->in_names[i] : "";

                (void)dbus_type_length(p, &k);
                f->var = strdup(vars[i]);
                if (!f->var)
                        return -ENOMEM;
                r = isempty(name) ? set_text(&f->label, l10n(lang, "Argument %zu"), i + 1)
                                  : i18n_set_plain(&f->label, name);
                if (r >= 0)
                        r = field_for_type(f, p, k, lang);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int expose_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        const struct expose_method *m = cfg;
        const struct expose_method_info *info = method_lookup(m);
        _cleanup_(form_freep) struct form *form = NULL;
        _cleanup_strv_free_ char **vars = NULL;
        char **signature = NULL;
        size_t n_args = 0;
        int r;

        if (!info)
                return -ENOENT;
        (void)dbus_signature_check(info->in_signature, &n_args, &(const char *){NULL});
        form = zalloc(sizeof(*form));
        if (!form)
                return -ENOMEM;
        r = arg_vars(info, n_args, &vars);
        if (r >= 0)
                r = i18n_copy(&m->name, &form->title);
        if (r >= 0)
                r = set_text(&form->instructions,
                             n_args == 0 ? l10n(call->lang, "Calls %s.%s on %s. It takes no "
                                                            "arguments.")
                                         : l10n(call->lang, "Calls %s.%s on %s."),
                             m->target->interface, m->method, m->target->destination);
        if (r >= 0)
                r = form_add_args(form, info, vars, call->lang);
        if (r >= 0 && strv_extend(&signature, info->in_signature) < 0)
                r = -ENOMEM;
        /* What the call is built from: kept by the session with the form, never sent back. */
        if (r >= 0)
                r = add_hidden(form, VAR_SIGNATURE, TAKE_PTR(signature));
        if (r >= 0)
                r = add_hidden(form, VAR_ARGS, TAKE_PTR(vars));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(form);
        return 0;
}

/* The call's configuration, from the signature and fields of the form the session kept. */
static int call_config(const struct expose_method *m, const char *signature, char *const *vars,
                       struct dbus_config **ret)
{
        const struct expose_target *t = m->target;
        _cleanup_(dbus_config_freep) struct dbus_config *c = zalloc(sizeof(*c));
        size_t n_args = 0, k;
        const char *p = signature;

        if (!c)
                return -ENOMEM;
        if (dbus_signature_check(signature, &n_args, &(const char *){NULL}) < 0 ||
            n_args != strv_length(vars))
                return -EINVAL;
        c->bus = strdup(t->bus_spec);
        c->destination = strdup(t->destination);
        c->path = strdup(t->path);
        c->interface = strdup(t->interface);
        c->member = strdup(m->method);
        c->signature = strdup(signature);
        c->args = calloc(n_args ?: 1, sizeof(*c->args));
        if (!c->bus || !c->destination || !c->path || !c->interface || !c->member ||
            !c->signature || !c->args)
                return -ENOMEM;
        c->kind = DBUS_CALL_METHOD;
        c->timeout = m->timeout;
        for (size_t i = 0; i < n_args; i++, p += k) {
                struct dbus_arg *a = &c->args[c->n_args++];

                (void)dbus_type_length(p, &k);
                if (!type_is_exposable(p, k))
                        return -EINVAL;
                a->kind = DBUS_ARG_TEMPLATE;
                /* An array takes one element per line of its text-multi field. */
                if (asprintf(&a->text, k == 2 ? "{%s...}" : "{%s}", vars[i]) < 0) {
                        a->text = NULL;
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static int complete_with_note(struct action_call *call, const char *fmt, ...) _printf_(2, 3);
static int complete_with_note(struct action_call *call, const char *fmt, ...)
{
        struct action_result *res = action_result_new();
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (!res || k < 0) {
                action_result_free(res);
                return -ENOMEM;
        }
        if (action_result_add_note(res, NOTE_ERROR, "%s", text) < 0) {
                action_result_free(res);
                return -ENOMEM;
        }
        action_call_complete(call, res);
        return 0;
}

static int expose_start(struct action_call *call)
{
        const struct expose_method *m = call->cfg;
        const char *signature = form_values_first(call->values, VAR_SIGNATURE);
        const struct form_value *vars = form_values_find(call->values, VAR_ARGS);
        const struct expose_method_info *info;
        struct dbus_config *c = NULL;
        int r;

        if (!signature || !vars)
                return -EINVAL; /* no form was shown: cannot happen through the engine */
        info = method_lookup(m);
        if (!info)
                return complete_with_note(
                    call, l10n(call->lang, "%s is not running, or no longer has %s.%s."),
                    m->target->destination, m->target->interface, m->method);
        if (!streq(info->in_signature, signature))
                return complete_with_note(
                    call,
                    l10n(call->lang, "%s.%s changed since its form was sent (it takes "
                                     "'%s' now, not '%s'); nothing was called. Run the "
                                     "command again."),
                    m->target->interface, m->method, info->in_signature, signature);
        r = call_config(m, signature, vars->values, &c);
        if (r < 0)
                return r;
        return dbus_call_start(call, c);
}

static void expose_shutdown(void)
{
        expose_targets_detach();
}

/* The commands' backend: never named in YAML, only made by expand(). */
const struct action_ops expose_method_action = {
    .key = "dbus_expose",
    .free_cfg = expose_method_free,
    .start = expose_start,
    .cancel = dbus_call_cancel,
    .build_form = expose_build_form,
    .available = expose_available,
};

/* "Base: Method" in each language of the base's name. */
static int method_name(const struct i18n *base, const char *method, struct i18n *ret)
{
        int r;

        r = i18n_copy(base, ret);
        for (size_t i = 0; r >= 0 && i < ret->n; i++) {
                char *s;

                if (asprintf(&s, "%s: %s", ret->v[i].text, method) < 0)
                        r = -ENOMEM;
                else {
                        free(ret->v[i].text);
                        ret->v[i].text = s;
                }
        }
        if (r < 0)
                i18n_done(ret);
        return r;
}

int expose_method_new(struct expose_target *t, usec_t timeout, const struct i18n *base_name,
                      const char *method, struct expose_method **ret)
{
        struct expose_method *m = zalloc(sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        t->n_ref++;
        m->target = t;
        m->timeout = timeout;
        m->method = strdup(method);
        r = m->method ? method_name(base_name, method, &m->name) : -ENOMEM;
        if (r < 0) {
                expose_method_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct command_spec expose_spec(const struct command *base, const char *node,
                                const struct i18n *name, const struct action_ops *action,
                                void *action_cfg)
{
        return (struct command_spec){
            .node = node,
            .name = name,
            .allow_access = base->has_allow ? &base->allow : NULL,
            .deny_access = &base->deny,
            .confirm = i18n_is_empty(&base->confirm) ? NULL : &base->confirm,
            .action = action,
            .action_cfg = action_cfg,
        };
}

static int expose_expand(const struct command *base, struct command_sink *sink)
{
        const struct expose_config *c = base->action_cfg;
        struct expose_target *t = NULL;
        int r = 0;

        if (!c->methods)
                return expose_expand_all(c, base, sink);
        r = expose_target_get(c, &t);
        if (r < 0)
                return r;
        STRV_FOREACH (method, c->methods) {
                _cleanup_free_ char *node = NULL;
                struct expose_method *m = NULL;
                struct command_spec spec;
                int k;

                if (asprintf(&node, "%s/%s", base->node, *method) < 0) {
                        node = NULL;
                        r = -ENOMEM;
                        break;
                }
                k = expose_method_new(t, c->timeout, &base->name, *method, &m);
                if (k < 0) {
                        r = k;
                        break;
                }
                spec = expose_spec(base, node, &m->name, &expose_method_action, m);
                k = command_sink_add(sink, &spec);
                if (k == -ENOMEM) {
                        r = k;
                        break;
                }
                if (k < 0)
                        r = k;
        }
        expose_target_unref(t);
        return r;
}

const struct action_ops dbus_expose_action = {
    .key = "dbus_expose",
    .parse = expose_parse,
    .free_cfg = expose_free_cfg,
    .expand = expose_expand,
    .shutdown = expose_shutdown,
};
