/* SPDX-License-Identifier: MIT */
/*
 * The "dbus:" action's YAML. Loading is pure: nothing connects to a bus here.
 *
 *   dbus:
 *     bus: session                 # session (the default) | system | a D-Bus address
 *     destination: org.mpris.MediaPlayer2.vlc
 *     path: /org/mpris/MediaPlayer2
 *     interface: org.mpris.MediaPlayer2.Player
 *     method: Seek                 # exactly one of method:, get_property:, set_property:
 *     signature: x                 # method only, optional: read by introspection when absent
 *     args: ["{offset}"]           # method only: one entry per argument of the signature
 *     columns: [Name, Size]        # optional labels of the result table's columns
 *     timeout: 25s                 # the default
 *
 *   get_property: Volume
 *   set_property: {name: Volume, value: "{level}", type: d}   # type: optional, introspected
 *
 * An argument's shape follows its D-Bus type:
 *
 *   basic type (y b n q i u x t d s o g)   a template: "{level}", "{from}", "literal"
 *                                         (braces are doubled in templates: 'a{{sv}}')
 *   array of a basic type, e.g. as, au    a template: "{tags}" or "{tags...}" alone gives one
 *                                         element per value of the field (none for an
 *                                         empty one); other templates give one element;
 *                                         or a list of such templates: ["{a}", "x", "{b...}"]
 *   other array, e.g. a(su), aas          a list, one item per element: [["a", "1"], ["b", "2"]]
 *   struct, e.g. (su)                     a list, one item per member: ["{name}", "{age}"]
 *   dict, e.g. a{sv}, a{ss}               a map with literal keys: {Volume: ..., Shuffle: ...}
 *   variant v                             {type: TYPE, value: VALUE}, the type inside the
 *                                         variant written out, VALUE shaped by TYPE
 *
 *   # an a{sv}:
 *   args:
 *     - {Volume: {type: d, value: "{level}"}, Title: {type: s, value: "{title}"}}
 *
 * Values are converted when the command runs, before anything is called: numbers are bounds
 * checked, b takes true/false/1/0, o must be an object path, g a signature. A value that does
 * not fit refuses the command with a note naming the field. With signature: (or type: for
 * set_property:), loading also checks the number and shapes of the arguments and literal
 * values ('300' for a y); without, these checks wait for the introspected signature.
 *
 * Type 'h' (a Unix file descriptor) is refused everywhere: a remote requester has no file
 * descriptors on this machine to pass, and the agent's own must not be handed out.
 */
#include "dbus.h"

static const char *const config_keys[] = {
    "bus",          "destination", "path", "interface", "method",  "get_property",
    "set_property", "signature",   "args", "columns",   "timeout", NULL,
};

void dbus_arg_done(struct dbus_arg *a)
{
        free(a->text);
        strv_free(a->keys);
        for (size_t i = 0; i < a->n_items; i++)
                dbus_arg_done(&a->items[i]);
        free(a->items);
        *a = (struct dbus_arg){0};
}

struct dbus_config *dbus_config_free(struct dbus_config *c)
{
        if (!c)
                return NULL;
        free(c->bus);
        free(c->destination);
        free(c->path);
        free(c->interface);
        free(c->member);
        free(c->signature);
        for (size_t i = 0; i < c->n_args; i++)
                dbus_arg_done(&c->args[i]);
        free(c->args);
        strv_free(c->columns);
        free(c);
        return NULL;
}

const char *dbus_bus_describe(const char *spec, const char *lang, char *buf, size_t size)
{
        if (streq(spec, "session"))
                snprintf(buf, size, "%s", l10n(lang, "the session bus"));
        else if (streq(spec, "system"))
                snprintf(buf, size, "%s", l10n(lang, "the system bus"));
        else
                snprintf(buf, size, l10n(lang, "the bus at %s"), spec);
        return buf;
}

/* ---- Scalars ---- */

int dbus_parse_name(const struct ynode *map, const char *section, const char *key,
                    dbus_name_check_t check, const char *what, char **ret, struct diags *d)
{
        const struct ynode *n = ynode_get(map, key);
        _cleanup_free_ char *s = NULL;

        if (!n)
                return ynode_error(map, d, "%s: needs '%s:'", section, key);
        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        if (check(s) <= 0)
                return ynode_error(n, d, "'%s' is not a valid D-Bus %s", s, what);
        *ret = TAKE_PTR(s);
        return 0;
}

int dbus_parse_bus(const struct ynode *map, const char *dflt, char **ret, struct diags *d)
{
        const struct ynode *n = ynode_get(map, "bus");
        const char *other = streq(dflt, "system") ? "session" : "system";
        _cleanup_free_ char *s = NULL;

        if (!n)
                return (*ret = strdup(dflt)) ? 0 : -ENOMEM;
        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        /* An address is "transport:key=value,...", e.g. unix:path=/run/dbus/system_bus_socket. */
        if (!streq(s, "session") && !streq(s, "system") && (!strchr(s, ':') || !strchr(s, '=')))
                return ynode_error(n, d,
                                   "bus: must be %s, %s or a D-Bus address (unix:path=...), "
                                   "not '%s'",
                                   dflt, other, s);
        *ret = TAKE_PTR(s);
        return 0;
}

int dbus_parse_timeout(const struct ynode *map, usec_t *ret, struct diags *d)
{
        const struct ynode *n = ynode_get(map, "timeout");

        *ret = DBUS_TIMEOUT_DEFAULT;
        if (!n)
                return 0;
        return ynode_duration_between(n, USEC_PER_MSEC, 3600 * USEC_PER_SEC, ret, d);
}

/* A signature for the method's input (several types) or a property's type (one type). */
static int parse_signature(const struct ynode *n, bool single, char **ret, struct diags *d)
{
        _cleanup_free_ char *s = NULL;
        const char *why = NULL;
        size_t count;
        int r;

        if (ynode_string(n, &s, d) < 0)
                return -EINVAL;
        r = dbus_signature_check(s, &count, &why);
        if (r < 0)
                return ynode_error(n, d, "invalid D-Bus signature '%s': %s", s, why);
        if (single && count != 1)
                return ynode_error(n, d, "'%s' is not one complete D-Bus type", s);
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- Arguments ---- */

/* A template without variable references ("{{" is a literal brace). */
static bool template_is_literal(const char *tpl)
{
        for (const char *p = tpl; *p; p++) {
                if (p[0] == '{' && p[1] == '{')
                        p++;
                else if (p[0] == '{')
                        return false;
        }
        return true;
}

/* Literal values are checked now rather than failing for every requester later. */
static int check_literal(const struct ynode *n, char type, const char *tpl, struct diags *d)
{
        static const struct template_vars none = {0};
        _cleanup_free_ char *text = NULL, *reason = NULL;
        union dbus_basic v;
        int r;

        if (!template_is_literal(tpl))
                return 0;
        r = template_expand(tpl, &none, &text);
        if (r < 0)
                return r;
        r = dbus_basic_parse(type, text, NULL, &v, &reason); /* for the administrator */
        if (r == -ENOMEM || (r < 0 && !reason))
                return -ENOMEM;
        if (r < 0)
                return ynode_error(n, d, "'%s' %s (D-Bus type '%c')", text, reason, type);
        return 0;
}

/* type: the argument's single complete type, or NULL when only introspection will tell. */
static int parse_arg(const struct ynode *n, const char *type, bool multi_ok,
                     const struct form *form, struct dbus_arg *ret, struct diags *d);

static bool is_basic_array(const char *type)
{
        return type && type[0] == 'a' && dbus_type_is_basic(type[1]);
}

static int parse_template_arg(const struct ynode *n, const char *type, bool multi_ok,
                              const struct form *form, struct dbus_arg *ret, struct diags *d)
{
        int r;

        if (type && !dbus_type_is_basic(type[0]) && !is_basic_array(type))
                return ynode_error(
                    n, d, "a value of D-Bus type '%s' is written as a %s, not a template", type,
                    type[0] == 'v'                     ? "map {type: ..., value: ...}"
                    : type[0] == 'a' && type[1] == '{' ? "map"
                                                       : "list");
        ret->kind = DBUS_ARG_TEMPLATE;
        ret->text = strdup(n->scalar);
        if (!ret->text)
                return -ENOMEM;
        r = template_check(ret->text, form, !type || multi_ok || is_basic_array(type), n, d);
        if (r < 0)
                return r;
        if (type && dbus_type_is_basic(type[0]))
                return check_literal(n, type[0], ret->text, d);
        return 0;
}

static int parse_list_arg(const struct ynode *n, const char *type, const struct form *form,
                          struct dbus_arg *ret, struct diags *d)
{
        _cleanup_free_ char *member = NULL;
        const char *item_type = NULL, *p = NULL;
        size_t n_members = 0, k;
        int r = 0;

        if (type && type[0] == 'a' && type[1] != '{') {
                item_type = type + 1;
        } else if (type && type[0] == '(') {
                /* Count the members; each item gets its own type below. */
                p = type + 1;
                for (const char *q = p; *q != ')' && dbus_type_length(q, &k) >= 0; q += k)
                        n_members++;
                if (n_members != n->n)
                        return ynode_error(n, d, "the struct '%s' has %zu members, the list %zu",
                                           type, n_members, n->n);
        } else if (type) {
                return ynode_error(n, d, "a value of D-Bus type '%s' is not written as a list",
                                   type);
        }
        ret->kind = DBUS_ARG_LIST;
        ret->items = calloc(n->n ?: 1, sizeof(*ret->items));
        if (!ret->items)
                return -ENOMEM;
        ret->n_items = n->n;
        for (size_t i = 0; i < n->n; i++) {
                if (p) {
                        (void)dbus_type_length(p, &k);
                        free(member);
                        member = strndup(p, k);
                        if (!member)
                                return -ENOMEM;
                        item_type = member;
                        p += k;
                }
                if (parse_arg(n->items[i], item_type, is_basic_array(type), form, &ret->items[i],
                              d) < 0)
                        r = -EINVAL;
        }
        return r;
}

static int map_alloc(struct dbus_arg *ret, size_t n)
{
        ret->kind = DBUS_ARG_MAP;
        ret->items = calloc(n ?: 1, sizeof(*ret->items));
        ret->keys = calloc(n + 1, sizeof(char *));
        if (!ret->items || !ret->keys)
                return -ENOMEM;
        ret->n_items = n;
        return 0;
}

/* {type: TYPE, value: VALUE}: TYPE is kept as written, it is not a template. */
static int parse_variant_arg(const struct ynode *n, const struct form *form, struct dbus_arg *ret,
                             struct diags *d)
{
        static const char *const keys[] = {"type", "value", NULL};
        const struct ynode *t = ynode_get(n, "type"), *v = ynode_get(n, "value");
        _cleanup_free_ char *inner = NULL;
        int r;

        if (ynode_check_keys(n, keys, d) < 0)
                return -EINVAL;
        if (!t || !v)
                return ynode_error(n, d, "a variant is written {type: TYPE, value: VALUE}");
        if (parse_signature(t, true, &inner, d) < 0)
                return -EINVAL;
        r = map_alloc(ret, 2);
        if (r < 0)
                return r;
        ret->keys[0] = strdup("type");
        ret->keys[1] = strdup("value");
        ret->items[0] = (struct dbus_arg){.kind = DBUS_ARG_TEMPLATE, .text = strdup(inner)};
        if (!ret->keys[0] || !ret->keys[1] || !ret->items[0].text)
                return -ENOMEM;
        return parse_arg(v, inner, false, form, &ret->items[1], d);
}

/* Whether a map at a position of unknown type is a variant: checking it now beats failing for
 * every requester later. A dict whose keys are exactly "type" and "value" needs a signature. */
static bool looks_like_variant(const struct ynode *n)
{
        return n->n == 2 && ynode_get(n, "type") && ynode_get(n, "value");
}

/* A dict: type is "a{KV}", or NULL when unknown. */
static int parse_dict_arg(const struct ynode *n, const char *type, const struct form *form,
                          struct dbus_arg *ret, struct diags *d)
{
        _cleanup_free_ char *value_type = NULL;
        size_t k;
        int r = 0;

        if (type) {
                (void)dbus_type_length(type + 3, &k);
                value_type = strndup(type + 3, k);
                if (!value_type)
                        return -ENOMEM;
        }
        if (map_alloc(ret, n->n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                ret->keys[i] = strdup(n->keys[i]->scalar);
                if (!ret->keys[i])
                        return -ENOMEM;
                if (type && check_literal(n->keys[i], type[2], ret->keys[i], d) < 0)
                        r = -EINVAL;
                if (parse_arg(n->items[i], value_type, false, form, &ret->items[i], d) < 0)
                        r = -EINVAL;
        }
        return r;
}

static int parse_map_arg(const struct ynode *n, const char *type, const struct form *form,
                         struct dbus_arg *ret, struct diags *d)
{
        if (type && type[0] == 'v')
                return parse_variant_arg(n, form, ret, d);
        if (type && type[0] == 'a' && type[1] == '{')
                return parse_dict_arg(n, type, form, ret, d);
        if (type)
                return ynode_error(n, d, "a value of D-Bus type '%s' is not written as a map",
                                   type);
        if (looks_like_variant(n))
                return parse_variant_arg(n, form, ret, d);
        return parse_dict_arg(n, NULL, form, ret, d);
}

static int parse_arg(const struct ynode *n, const char *type, bool multi_ok,
                     const struct form *form, struct dbus_arg *ret, struct diags *d)
{
        if (n->type == YNODE_SEQ)
                return parse_list_arg(n, type, form, ret, d);
        if (n->type == YNODE_MAP)
                return parse_map_arg(n, type, form, ret, d);
        if (ynode_is_null(n))
                return ynode_error(n, d, "expected a template, a list or a map, got null");
        return parse_template_arg(n, type, multi_ok, form, ret, d);
}

/* Parses args (NULL: none) against signature (NULL: unknown until introspection). where
 * places errors when args is absent. */
static int parse_args(const struct ynode *n, const struct ynode *where, const char *signature,
                      const struct form *form, struct dbus_config *c, struct diags *d)
{
        size_t count = 0, given, p = 0, k;
        int r = 0;

        if (n && ynode_is_null(n))
                n = NULL; /* "args:" alone */
        if (n && ynode_expect(n, YNODE_SEQ, d) < 0)
                return -EINVAL;
        given = n ? n->n : 0;
        if (signature)
                (void)dbus_signature_check(signature, &count, &(const char *){NULL});
        if (signature && count != given) {
                r = ynode_error(n ?: where, d,
                                "the signature '%s' takes %zu argument(s), args: gives %zu",
                                signature, count, given);
                signature = NULL; /* still check the templates, without types */
        }
        if (!n)
                return r;
        c->args = calloc(given ?: 1, sizeof(*c->args));
        if (!c->args)
                return -ENOMEM;
        c->n_args = given;
        for (size_t i = 0; i < given; i++) {
                _cleanup_free_ char *t = NULL;

                if (signature) {
                        (void)dbus_type_length(signature + p, &k);
                        t = strndup(signature + p, k);
                        if (!t)
                                return -ENOMEM;
                        p += k;
                }
                if (parse_arg(n->items[i], t, false, form, &c->args[i], d) < 0)
                        r = -EINVAL;
        }
        return r;
}

/* ---- The call ---- */

static int parse_method(const struct ynode *map, struct dbus_config *c, const struct form *form,
                        struct diags *d)
{
        const struct ynode *sig = ynode_get(map, "signature");
        int r;

        c->kind = DBUS_CALL_METHOD;
        r = dbus_parse_name(map, "dbus", "method", sd_bus_member_name_is_valid, "method name",
                            &c->member, d);
        if (sig && parse_signature(sig, false, &c->signature, d) < 0)
                return -EINVAL;
        if (parse_args(ynode_get(map, "args"), sig, c->signature, form, c, d) < 0)
                r = -EINVAL;
        return r;
}

static int parse_set_property(const struct ynode *n, struct dbus_config *c, const struct form *form,
                              struct diags *d)
{
        static const char *const keys[] = {"name", "value", "type", NULL};
        const struct ynode *type = ynode_get(n, "type");
        int r;

        c->kind = DBUS_CALL_SET_PROPERTY;
        if (ynode_expect(n, YNODE_MAP, d) < 0 || ynode_check_keys(n, keys, d) < 0)
                return -EINVAL;
        r = dbus_parse_name(n, "dbus", "name", sd_bus_member_name_is_valid, "property name",
                            &c->member, d);
        if (type && parse_signature(type, true, &c->signature, d) < 0)
                r = -EINVAL;
        if (!ynode_get(n, "value"))
                return ynode_error(n, d, "set_property: needs 'value:'");
        if (type && !c->signature)
                return -EINVAL;
        c->args = calloc(1, sizeof(*c->args));
        if (!c->args)
                return -ENOMEM;
        c->n_args = 1;
        if (parse_arg(ynode_get(n, "value"), c->signature, false, form, &c->args[0], d) < 0)
                r = -EINVAL;
        return r;
}

static int parse_call(const struct ynode *n, struct dbus_config *c, const struct form *form,
                      struct diags *d)
{
        static const char *const which[] = {"method", "get_property", "set_property"};
        const struct ynode *found = NULL;
        size_t n_found = 0;

        for (size_t i = 0; i < ELEMENTSOF(which); i++)
                if (ynode_get(n, which[i])) {
                        found = ynode_get(n, which[i]);
                        n_found++;
                }
        if (n_found != 1)
                return ynode_error(n, d,
                                   "dbus: needs exactly one of method:, get_property: and "
                                   "set_property:");
        if (!ynode_get(n, "method") && (ynode_get(n, "signature") || ynode_get(n, "args")))
                return ynode_error(ynode_get(n, "signature") ?: ynode_get(n, "args"), d,
                                   "signature: and args: go with method: (set_property: has "
                                   "type: and value:)");
        if (ynode_get(n, "method"))
                return parse_method(n, c, form, d);
        if (ynode_get(n, "set_property"))
                return parse_set_property(found, c, form, d);
        c->kind = DBUS_CALL_GET_PROPERTY;
        return dbus_parse_name(n, "dbus", "get_property", sd_bus_member_name_is_valid,
                               "property name", &c->member, d);
}

int dbus_config_parse(const struct ynode *n, const struct form *form, struct dbus_config **ret,
                      struct diags *d)
{
        _cleanup_(dbus_config_freep) struct dbus_config *c = NULL;
        const struct ynode *columns;
        int r = 0;

        if (ynode_expect(n, YNODE_MAP, d) < 0)
                return -EINVAL;
        c = zalloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->form = form;
        if (ynode_check_keys(n, config_keys, d) < 0)
                r = -EINVAL;
        if (dbus_parse_bus(n, "session", &c->bus, d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus", "destination", sd_bus_service_name_is_valid, "bus name",
                            &c->destination, d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus", "path", sd_bus_object_path_is_valid, "object path", &c->path,
                            d) < 0)
                r = -EINVAL;
        if (dbus_parse_name(n, "dbus", "interface", sd_bus_interface_name_is_valid,
                            "interface name", &c->interface, d) < 0)
                r = -EINVAL;
        if (dbus_parse_timeout(n, &c->timeout, d) < 0)
                r = -EINVAL;
        columns = ynode_get(n, "columns");
        if (columns && ynode_strv(columns, &c->columns, d) < 0)
                r = -EINVAL;
        if (parse_call(n, c, form, d) < 0)
                r = -EINVAL;
        if (r < 0)
                return d->n_errors > 0 ? -EINVAL : -ENOMEM; /* errors all come with a diag */
        *ret = TAKE_PTR(c);
        return 0;
}
