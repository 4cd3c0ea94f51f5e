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

#include "dbus.h"
#include "log.h"
#include "plugins.h"
#include "policy.h"

#define VAR_SIGNATURE "dbus.signature"
#define VAR_ARGS      "dbus.args"
#define VAR_MAX       64
#define RETRY_AFTER   (30 * USEC_PER_SEC) /* a failed introspection is tried again after this */
/* The whole value: "/" or "/" followed by elements of [A-Za-z0-9_] separated by "/". */
#define OBJECT_PATH_REGEX "/|(/[A-Za-z0-9_]+)+"

static const char *const expose_keys[] = {
    "bus", "destination", "path", "interface", "methods", "timeout", NULL,
};

/* ---- Configuration ---- */

struct expose_config {
        char *bus;
        char *destination;
        char *path;
        char *interface;
        char **methods; /* NULL: every method ("*") */
        usec_t timeout;
};

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

/* ---- Targets: what is known of one interface of one object of one destination ---- */

enum owner_state { OWNER_UNKNOWN, OWNER_ABSENT, OWNER_PRESENT };

struct expose_method_info {
        char *name;
        char *in_signature;
        char **in_names;
};

struct expose_target {
        unsigned n_ref;
        char *bus_spec;
        char *destination;
        char *path;
        char *interface;
        usec_t timeout; /* of Introspect calls */

        sd_event *event;
        struct dbus_bus *bus;
        sd_bus *watched;         /* the connection the slots below belong to */
        sd_bus_slot *match;      /* NameOwnerChanged for destination */
        sd_bus_slot *owner_call; /* the pending GetNameOwner */
        enum owner_state owner;
        char *owner_name;          /* the unique name, while present */
        struct dbus_waiter waiter; /* attached while introspecting */
        sd_event_source *kick;     /* introspects the new owner, once every handler ran */
        bool failed;               /* introspecting this owner failed: wait a while */
        usec_t failed_at;
        bool known; /* methods describe the current owner */
        struct expose_method_info *methods;
        size_t n_methods;
        unsigned generation; /* changes with methods: warnings are given once per version */
        struct expose_target *next;
};

/* Targets in use, shared by every command (and policy, across reloads) naming the same one. */
static struct expose_target *targets;

static void methods_forget(struct expose_target *t)
{
        for (size_t i = 0; i < t->n_methods; i++) {
                free(t->methods[i].name);
                free(t->methods[i].in_signature);
                strv_free(t->methods[i].in_names);
        }
        free(t->methods);
        t->methods = NULL;
        t->n_methods = 0;
        t->known = false;
        t->failed = false;
        t->generation++;
}

/* Forgets the owner and everything learnt from it. */
static void target_forget(struct expose_target *t)
{
        dbus_waiter_cancel(&t->waiter);
        t->kick = sd_event_source_disable_unref(t->kick);
        methods_forget(t);
        t->owner = OWNER_UNKNOWN;
        free(t->owner_name);
        t->owner_name = NULL;
}

static void target_unwatch(struct expose_target *t)
{
        t->match = sd_bus_slot_unref(t->match);
        t->owner_call = sd_bus_slot_unref(t->owner_call);
        t->watched = sd_bus_unref(t->watched);
        target_forget(t);
}

/* Lets go of the bus and the loop; the target can attach again later. */
static void target_detach(struct expose_target *t)
{
        target_unwatch(t);
        t->bus = dbus_bus_unref(t->bus);
        t->event = sd_event_unref(t->event);
}

static struct expose_target *target_unref(struct expose_target *t)
{
        if (!t || --t->n_ref > 0)
                return NULL;
        for (struct expose_target **p = &targets; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        break;
                }
        target_detach(t);
        free(t->bus_spec);
        free(t->destination);
        free(t->path);
        free(t->interface);
        free(t);
        return NULL;
}

static int target_get(const struct expose_config *c, struct expose_target **ret)
{
        struct expose_target *t;

        for (t = targets; t; t = t->next)
                if (streq(t->bus_spec, c->bus) && streq(t->destination, c->destination) &&
                    streq(t->path, c->path) && streq(t->interface, c->interface)) {
                        t->n_ref++;
                        *ret = t;
                        return 0;
                }
        t = zalloc(sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->n_ref = 1;
        t->timeout = c->timeout;
        t->bus_spec = strdup(c->bus);
        t->destination = strdup(c->destination);
        t->path = strdup(c->path);
        t->interface = strdup(c->interface);
        if (!t->bus_spec || !t->destination || !t->path || !t->interface) {
                target_unref(t);
                return -ENOMEM;
        }
        t->next = targets;
        targets = t;
        *ret = t;
        return 0;
}

static int methods_copy(struct expose_target *t, const struct dbus_iinterface *iface)
{
        if (!iface || iface->n_methods == 0)
                return 0;
        t->methods = calloc(iface->n_methods, sizeof(*t->methods));
        if (!t->methods)
                return -ENOMEM;
        for (size_t i = 0; i < iface->n_methods; i++) {
                const struct dbus_imethod *m = &iface->methods[i];
                struct expose_method_info *info = &t->methods[t->n_methods++];

                info->name = strdup(m->name);
                info->in_signature = strdup(m->in_signature);
                info->in_names = strv_copy(m->in_names);
                if (!info->name || !info->in_signature || !info->in_names)
                        return -ENOMEM;
        }
        return 0;
}

static void target_learn(struct expose_target *t, const struct dbus_introspection *intro)
{
        const struct dbus_iinterface *iface =
            dbus_introspection_find_interface(intro, t->interface);

        methods_forget(t);
        if (methods_copy(t, iface) < 0) {
                log_error("dbus_expose: out of memory");
                methods_forget(t);
                t->failed = true;
                return;
        }
        t->known = true;
        log_debug("dbus_expose: %s has %zu method(s) in %s at %s", t->destination, t->n_methods,
                  t->interface, t->path);
}

static void on_introspected(struct dbus_waiter *w, const struct dbus_introspection *intro,
                            const char *error_name, const char *error_message)
{
        struct expose_target *t =
            (struct expose_target *)((char *)w - offsetof(struct expose_target, waiter));

        if (intro) {
                target_learn(t, intro);
                return;
        }
        /* Gone meanwhile, or the connection dropped: the watch sees to both. */
        if (streq_ptr(error_name, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            streq_ptr(error_name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
            streq_ptr(error_name, SD_BUS_ERROR_DISCONNECTED))
                return;
        log_warning("dbus_expose: cannot introspect %s at %s (%s: %s); its commands stay hidden "
                    "for now",
                    t->destination, t->path, strempty(error_name), strempty(error_message));
        t->failed = true;
        t->failed_at = now_usec(CLOCK_MONOTONIC);
}

static void target_introspect(struct expose_target *t)
{
        const struct dbus_introspection *intro = NULL;
        int r;

        t->waiter.cb = on_introspected;
        r = dbus_bus_introspect(t->bus, t->destination, t->path, t->timeout, &t->waiter, &intro);
        if (r > 0)
                target_learn(t, intro);
        else if (r < 0 && r != -ENOTCONN) {
                log_warning_errno(r, "dbus_expose: cannot introspect %s: %m", t->destination);
                t->failed = true;
                t->failed_at = now_usec(CLOCK_MONOTONIC);
        }
}

static int on_kick(sd_event_source *s, void *userdata)
{
        struct expose_target *t = userdata;

        t->kick = sd_event_source_disable_unref(t->kick);
        if (t->owner == OWNER_PRESENT && !t->known && !t->failed && !t->waiter.entry)
                target_introspect(t);
        return 0;
}

static void target_set_owner(struct expose_target *t, const char *owner)
{
        bool present = !isempty(owner);
        int r;

        if (t->owner == (present ? OWNER_PRESENT : OWNER_ABSENT) &&
            streq_ptr(t->owner_name, present ? owner : NULL))
                return;
        target_forget(t);
        t->owner = present ? OWNER_PRESENT : OWNER_ABSENT;
        log_debug("dbus_expose: %s is %s", t->destination, present ? owner : "absent");
        if (!present)
                return;
        t->owner_name = strdup(owner);
        if (!t->owner_name) {
                log_error("dbus_expose: out of memory");
                t->failed = true;
                return;
        }
        /* Not now: the cache of dbus-bus.c may not have seen this change yet. */
        r = sd_event_add_defer(t->event, &t->kick, on_kick, t);
        if (r < 0)
                target_introspect(t);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            !streq(name, t->destination))
                return 0;
        target_set_owner(t, new_owner);
        return 0;
}

static int on_match_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);

        if (!err)
                return 0;
        /* Unseen owner changes would leave commands stale: start over at the next look. */
        if (!sd_bus_error_has_name(err, SD_BUS_ERROR_NO_REPLY))
                log_warning("dbus_expose: cannot watch %s on the %s bus (%s: %s)", t->destination,
                            t->bus_spec, err->name, strempty(err->message));
        target_unwatch(t);
        return 0;
}

static int on_owner_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct expose_target *t = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        const char *owner = NULL;

        t->owner_call = sd_bus_slot_unref(t->owner_call);
        if (err && sd_bus_error_has_name(err, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                target_set_owner(t, NULL);
                return 0;
        }
        if (err || sd_bus_message_read(m, "s", &owner) < 0) {
                target_unwatch(t);
                return 0;
        }
        target_set_owner(t, owner);
        return 0;
}

/* The match goes first: the bus answers in order, so no owner change can slip in between. */
static int target_watch(struct expose_target *t, sd_bus *bus)
{
        _cleanup_free_ char *rule = NULL;
        int r;

        /* Names are checked by the policy loader: they need no quoting in a rule. */
        if (asprintf(&rule,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     t->destination) < 0)
                return -ENOMEM;
        t->watched = sd_bus_ref(bus);
        r = sd_bus_add_match_async(bus, &t->match, rule, on_owner_changed, on_match_added, t);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(bus, &t->owner_call, "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "GetNameOwner", on_owner_reply, t, "s", t->destination);
}

/* Brings what is known up to date, starting whatever is missing: connection, watch,
 * introspection. Never waits. */
static void target_refresh(struct expose_target *t)
{
        sd_bus *bus;
        int r;

        /* available() is handed no loop: the agent runs on the thread's default one (main.c). */
        if (!t->event && sd_event_default(&t->event) < 0)
                return;
        if (!t->bus && dbus_bus_get(t->event, t->bus_spec, &t->bus) < 0)
                return;
        bus = dbus_bus_get_sd(t->bus);
        if (bus != t->watched) {
                /* Reconnected (or lost): nothing learnt on the old connection holds. */
                target_unwatch(t);
                if (!bus)
                        return;
                r = target_watch(t, bus);
                if (r < 0) {
                        log_warning_errno(r, "dbus_expose: cannot watch %s: %m", t->destination);
                        target_unwatch(t);
                }
                return;
        }
        if (t->failed && now_usec(CLOCK_MONOTONIC) - t->failed_at >= RETRY_AFTER)
                t->failed = false;
        if (t->owner == OWNER_PRESENT && !t->known && !t->failed && !t->waiter.entry && !t->kick)
                target_introspect(t);
}

static const struct expose_method_info *target_find(const struct expose_target *t, const char *name)
{
        if (t->owner != OWNER_PRESENT || !t->known)
                return NULL;
        for (size_t i = 0; i < t->n_methods; i++)
                if (streq(t->methods[i].name, name))
                        return &t->methods[i];
        return NULL;
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
static int field_for_type(struct form_field *f, const char *type, size_t len)
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
        return set_text(&f->desc, "D-Bus type '%.*s'%s", (int)len, type,
                        array ? ": one element per line" : "");
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

struct expose_method {
        struct expose_target *target;
        char *method;
        struct i18n name; /* the command's name: the form's title */
        usec_t timeout;
        unsigned warned; /* target generation + 1 when a warning about it was given */
        bool quiet;      /* made for "*": a method no form can carry is skipped, not warned of */
};

static void expose_method_free(void *cfg)
{
        struct expose_method *m = cfg;

        if (!m)
                return;
        target_unref(m->target);
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

        target_refresh(t);
        info = target_find(t, m->method);
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

static int form_add_args(struct form *form, const struct expose_method_info *info, char **vars)
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
                r = isempty(name) ? set_text(&f->label, "Argument %zu", i + 1)
                                  : i18n_set_plain(&f->label, name);
                if (r >= 0)
                        r = field_for_type(f, p, k);
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
                r = set_text(&form->instructions, "Calls %s.%s on %s.%s", m->target->interface,
                             m->method, m->target->destination,
                             n_args == 0 ? " It takes no arguments." : "");
        if (r >= 0)
                r = form_add_args(form, info, vars);
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
                return complete_with_note(call, "%s is not running, or no longer has %s.%s.",
                                          m->target->destination, m->target->interface, m->method);
        if (!streq(info->in_signature, signature))
                return complete_with_note(call,
                                          "%s.%s changed since its form was sent (it takes '%s' "
                                          "now, not '%s'); nothing was called. Run the command "
                                          "again.",
                                          m->target->interface, m->method, info->in_signature,
                                          signature);
        r = call_config(m, signature, vars->values, &c);
        if (r < 0)
                return r;
        return dbus_call_start(call, c);
}

static void expose_shutdown(void)
{
        for (struct expose_target *t = targets; t; t = t->next)
                target_detach(t);
}

/* The commands' backend: never named in YAML, only made by expand(). */
static const struct action_ops expose_method_action = {
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

/* The command of one method of t (which it takes a reference on), named after base_name. */
static int method_new(struct expose_target *t, usec_t timeout, const struct i18n *base_name,
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

/* ---- Every method ("*"): a providing entry making a command per method it meets ---- */

#define ALL_MAX 256 /* commands one entry makes at most, so a service cannot grow the agent */

struct expose_all {
        struct expose_target *target;
        usec_t timeout;
        struct command **commands; /* one per method name met so far, kept with the policy */
        size_t n_commands;
        bool warned_full;
};

static void expose_all_free(void *cfg)
{
        struct expose_all *all = cfg;

        if (!all)
                return;
        for (size_t i = 0; i < all->n_commands; i++)
                command_free(all->commands[i]);
        free(all->commands);
        target_unref(all->target);
        free(all);
}

static const char *command_method(const struct command *c)
{
        return ((const struct expose_method *)c->action_cfg)->method;
}

/* The command of method: the one made before, or a new one if the interface has it now. */
static const struct command *all_get(const struct command *entry, const char *method)
{
        struct expose_all *all = entry->action_cfg;
        _cleanup_free_ char *node = NULL;
        struct expose_method *m = NULL;
        struct command **commands, *c;

        for (size_t i = 0; i < all->n_commands; i++)
                if (streq(command_method(all->commands[i]), method))
                        return all->commands[i];
        if (!target_find(all->target, method))
                return NULL;
        if (all->n_commands >= ALL_MAX) {
                if (!all->warned_full)
                        log_warning("dbus_expose: %s has made %d commands; the methods of %s met "
                                    "since are not offered",
                                    entry->node, ALL_MAX, all->target->destination);
                all->warned_full = true;
                return NULL;
        }
        commands = reallocarray(all->commands, all->n_commands + 1, sizeof(*commands));
        if (!commands)
                return NULL;
        all->commands = commands;
        if (asprintf(&node, "%s/%s", entry->node, method) < 0) {
                node = NULL;
                return NULL;
        }
        if (method_new(all->target, all->timeout, &entry->name, method, &m) < 0) {
                log_error("dbus_expose: out of memory");
                return NULL;
        }
        m->quiet = true;
        if (command_derive(entry, node, &m->name, &expose_method_action, m, &c) < 0) {
                log_error("dbus_expose: out of memory");
                return NULL;
        }
        all->commands[all->n_commands++] = c;
        return c;
}

static const struct command *all_find(const struct command *entry, const char *node)
{
        struct expose_all *all = entry->action_cfg;
        const char *method = node + strlen(entry->node) + 1;

        if (sd_bus_member_name_is_valid(method) <= 0)
                return NULL;
        target_refresh(all->target);
        return all_get(entry, method);
}

static void all_list(const struct command *entry,
                     void (*cb)(const struct command *c, void *userdata), void *userdata)
{
        struct expose_all *all = entry->action_cfg;
        const struct expose_target *t = all->target;
        _cleanup_strv_free_ char **names = NULL;

        target_refresh(all->target);
        if (t->owner != OWNER_PRESENT || !t->known)
                return;
        /* The callback looks the commands up again, which may refresh what is known. */
        for (size_t i = 0; i < t->n_methods; i++)
                if (strv_extend(&names, t->methods[i].name) < 0)
                        return;
        STRV_FOREACH (name, names) {
                const struct command *c = all_get(entry, *name);

                if (c)
                        cb(c, userdata);
        }
}

static const struct action_ops expose_all_action = {
    .key = "dbus_expose",
    .free_cfg = expose_all_free,
    .provide_find = all_find,
    .provide_list = all_list,
};

static int expand_all(const struct expose_config *c, const struct command *base,
                      struct command_sink *sink)
{
        struct expose_all *all = zalloc(sizeof(*all));
        struct command_spec spec;
        int r;

        if (!all)
                return -ENOMEM;
        all->timeout = c->timeout;
        r = target_get(c, &all->target);
        if (r < 0) {
                free(all);
                return r;
        }
        spec = (struct command_spec){
            .node = base->node,
            .name = &base->name,
            .allow_access = base->has_allow ? &base->allow : NULL,
            .deny_access = &base->deny,
            .confirm = i18n_is_empty(&base->confirm) ? NULL : &base->confirm,
            .action = &expose_all_action,
            .action_cfg = all,
        };
        return command_sink_add(sink, &spec);
}

static int expose_expand(const struct command *base, struct command_sink *sink)
{
        const struct expose_config *c = base->action_cfg;
        struct expose_target *t = NULL;
        int r = 0;

        if (!c->methods)
                return expand_all(c, base, sink);
        r = target_get(c, &t);
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
                k = method_new(t, c->timeout, &base->name, *method, &m);
                if (k < 0) {
                        r = k;
                        break;
                }
                spec = (struct command_spec){
                    .node = node,
                    .name = &m->name,
                    .allow_access = base->has_allow ? &base->allow : NULL,
                    .deny_access = &base->deny,
                    .confirm = i18n_is_empty(&base->confirm) ? NULL : &base->confirm,
                    .action = &expose_method_action,
                    .action_cfg = m,
                };
                k = command_sink_add(sink, &spec);
                if (k == -ENOMEM) {
                        r = k;
                        break;
                }
                if (k < 0)
                        r = k;
        }
        target_unref(t);
        return r;
}

const struct action_ops dbus_expose_action = {
    .key = "dbus_expose",
    .parse = expose_parse,
    .free_cfg = expose_free_cfg,
    .expand = expose_expand,
    .shutdown = expose_shutdown,
};
